import { describe, expect, it } from 'vitest';
import { durationToSeconds, loadSupabaseConfig, parsePgFunctionUri } from '../src/config';

describe('supabase/config.toml', () => {
  it('gives the stack the settings it shares with supabase start', () => {
    const config = loadSupabaseConfig();
    expect(config.api.port).toBe(54321);
    expect(config.db.port).toBe(54322);
    expect(config.auth.jwt_expiry).toBe(3600);
    expect(config.auth.enable_refresh_token_rotation).toBe(true);
    expect(config.auth.refresh_token_reuse_interval).toBe(10);
    expect(config.auth.additional_redirect_urls).toEqual(
      expect.arrayContaining(['http://127.0.0.1:3000', 'http://127.0.0.1:3001']),
    );
  });

  it('reads Go durations and pg-functions hook addresses', () => {
    expect(durationToSeconds('8h')).toBe(28800);
    expect(durationToSeconds('1h30m15s')).toBe(5415);
    expect(durationToSeconds(undefined)).toBeUndefined();
    expect(() => durationToSeconds('soon')).toThrow(/not a duration/);
    expect(parsePgFunctionUri('pg-functions://postgres/private/custom_access_token_hook')).toEqual({
      schema: 'private',
      name: 'custom_access_token_hook',
    });
    expect(() => parsePgFunctionUri('https://example.com/hook')).toThrow(/pg-functions/);
  });
});
