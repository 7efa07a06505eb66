import { expect, test } from '@playwright/test';
import { readWorld } from '../harness';

test('both apps report the database and the latest migration', async ({ request }) => {
  const world = readWorld();
  for (const [app, url] of [
    ['web', world.web],
    ['admin', world.admin],
  ] as const) {
    const res = await request.get(`${url}/api/health`);
    expect(res.status(), `${app} health`).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ app, ok: true, database: { connected: true, login: 'app_server' } });
    expect(body.migration?.version).toMatch(/^\d{14}$/);
  }
});
