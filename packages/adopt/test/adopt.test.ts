import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditLive, auditStatic, loadConfig } from '@bulkhead/audit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runAttackSuite } from '../../tenancy/test/attack/suite';
import { type TenancyTestKit as Kit, TenancyTestKit, type TestSession } from '../../tenancy/test/helpers';
import {
  explainFindings,
  type Mapping,
  main,
  PlanError,
  parseMapping,
  plan,
  planRollback,
  readRecords,
  runBackfill,
  shadowReport,
  validate,
} from '../src/index';
import { fixture, migrationsFolder, schemaSnapshot } from './helpers';

/**
 * The whole adoption procedure of docs/adopting.md on a fixture single-tenant app (users,
 * projects, tasks, comments with orphans and cross-tenant rows), on a real kit database: prepare,
 * a backfill killed mid-way and resumed, validation that reports instead of guessing, NOT NULL and
 * tenant keys, shadow mode, the report gate, enforcement checked by the tenancy audit and the
 * generated attack suite, and rollback to the original schema. The steps depend on each other,
 * so the tests run in order on one database.
 */

const cluster = inject('cluster');
const root = fileURLToPath(new URL('../../..', import.meta.url));
const TABLES = ['public.users', 'public.projects', 'public.tasks', 'public.comments'];
const ACME = '10000000-0000-4000-8000-000000000001';
const GLOBEX = '10000000-0000-4000-8000-000000000002';
const id = (prefix: number, n: number) => `${prefix}0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const mappingJson = {
  tables: [
    { table: 'public.users', tenant: { column: 'org_id' } },
    { table: 'public.comments', tenant: { path: ['comments.task_id -> tasks.id'] } },
    { table: 'public.tasks', tenant: { path: ['tasks.project_id -> projects.id'] } },
    { table: 'public.projects', tenant: { path: ['projects.owner_id -> memberships.user_id'] } },
  ],
};

let kit: Kit;
let postgres: pg.Client;
let mapping: Mapping;
let folder: ReturnType<typeof migrationsFolder>;
let mappingFile: string;
let original: Record<string, unknown>;
let alice: TestSession;

const q = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
  (await kit.admin.query<R>(sql, params)).rows;

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  await kit.adminQuery(
    `do $$ begin execute format('grant create, temporary on database %I to postgres', current_database()); end $$`,
  );
  postgres = new pg.Client({ connectionString: kit.db.migrationUrl });
  await postgres.connect();
  // The old app's schema is created by its own migrations, as postgres; its data by a superuser.
  await postgres.query(fixture('app-schema.sql'));
  await kit.adminQuery(fixture('app-data.sql'));
  mapping = parseMapping(mappingJson);
  folder = migrationsFolder(kit.db.migrationUrl);
  mappingFile = join(folder.dir, '..', `${folder.dir.split('/').pop()}-mapping.json`);
  writeFileSync(mappingFile, JSON.stringify(mappingJson));
  original = await schemaSnapshot(postgres, TABLES);

  // A signed-in Acme member, as the old app's users will be once the claims hook knows their tenant.
  const user = await kit.createUser();
  await kit.adminQuery(`insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'member')`, [ACME, user.id]);
  alice = await kit.signIn(user);
}, 120_000);

afterAll(async () => {
  await postgres?.end();
  await kit?.close();
  if (folder) rmSync(folder.dir, { recursive: true, force: true });
  if (mappingFile) rmSync(mappingFile, { force: true });
});

describe('adopting a single-tenant app', () => {
  it('orders the mapping so every path reads a tenant that is already placed, and rejects bad mappings clearly', () => {
    expect(mapping.tables.map((t) => `${t.table.schema}.${t.table.name}`)).toEqual([
      'public.users',
      'public.projects',
      'public.tasks',
      'public.comments',
    ]);
    expect(() =>
      parseMapping({ tables: [{ table: 'public.tasks', tenant: { path: ['tasks.project_id projects.id'] } }] }),
    ).toThrow(/is not a hop: write "table.column -> table.column"/);
    expect(() => parseMapping({ tables: [{ table: 'public.tasks', tenant: { path: ['projects.id -> users.id'] } }] })).toThrow(
      /hop 1 starts at public.projects, expected public.tasks/,
    );
  });

  it('prepare: writes reviewed migrations that add a nullable tenant_id and the backfill machinery, nothing else', async () => {
    const files = folder.write(await plan(postgres, mapping, { action: 'prepare', tables: [] }));
    expect(files.map((f) => f.replace(/^\d{14}_/, ''))).toEqual([
      'adopt_bookkeeping.sql',
      'adopt_public__users_add_tenant_id.sql',
      'adopt_public__users_backfill_tenant_id.sql',
      'adopt_public__projects_add_tenant_id.sql',
      'adopt_public__projects_backfill_tenant_id.sql',
      'adopt_public__tasks_add_tenant_id.sql',
      'adopt_public__tasks_backfill_tenant_id.sql',
      'adopt_public__comments_add_tenant_id.sql',
      'adopt_public__comments_backfill_tenant_id.sql',
    ]);
    for (const file of files) expect(folder.read(file)).toMatch(/^-- .+\n--\n-- /);
    expect(await folder.apply()).toHaveLength(files.length);
    for (const table of TABLES) {
      const [row] = await q<{ n: number; nulls: number }>(
        `select count(*)::int as n, count(*) filter (where tenant_id is null)::int as nulls from ${table}`,
      );
      expect(row?.n).toBeGreaterThan(0);
      expect(row?.nulls).toBe(row?.n);
    }
    const records = await readRecords(postgres);
    expect([...records.values()].map((r) => [r.table, r.state, r.step])).toEqual(
      expect.arrayContaining(TABLES.map((t) => [t, 'off', 'backfill'])),
    );
    // Out of order is refused: nothing to validate before the backfill ran.
    await expect(plan(postgres, mapping, { action: 'shadow', tables: ['public.users'] })).rejects.toThrow(
      /public.users is at step backfill; shadow needs constrain/,
    );
  });

  it('backfills users and reports the orphans by id instead of assigning them', async () => {
    await expect(runBackfill(kit.db.migrationUrl, mapping, { tables: ['public.tasks'] })).rejects.toThrow(
      /backfill public.projects before public.tasks/,
    );
    const [result] = await runBackfill(kit.db.migrationUrl, mapping, { tables: ['public.users'], batchSize: 10 });
    expect(result).toMatchObject({ rowsSeen: 39, rowsAssigned: 37, rowsUnresolved: 2, batches: 4 });
    const problems = await validate(postgres, mapping, ['public.users']);
    expect(problems.map((p) => [p.problem, p.rowKey, p.detail])).toEqual([
      ['missing-tenant', id(2, 91), 'orphan: the mapping finds no tenant for this row'],
      ['missing-tenant', id(2, 92), 'orphan: the mapping finds no tenant for this row'],
    ]);
    const [gone] = await q<{ tenant_id: string | null }>(`select tenant_id from public.users where id = $1`, [id(2, 91)]);
    expect(gone?.tenant_id).toBeNull();

    // The validation gate stops the chain while they are there, naming them.
    folder.write(await plan(postgres, mapping, { action: 'constrain', tables: ['public.users'] }));
    await expect(folder.apply()).rejects.toThrow(/public.users is not ready for NOT NULL and tenant keys: 2 row problem/);
    // The team decides, row by row: support confirmed the first belongs to Acme; the second never signed in.
    await kit.adminQuery(`update public.users set tenant_id = $1 where id = $2`, [ACME, id(2, 91)]);
    await kit.adminQuery(`delete from public.users where id = $1`, [id(2, 92)]);
    expect(await validate(postgres, mapping, ['public.users'])).toEqual([]);
    expect((await folder.apply()).map((m) => m.name)).toEqual([
      'adopt_public__users_validate_tenant_id',
      'adopt_public__users_constrain_tenant_id',
    ]);
  });

  it('reports an ambiguous path (a user in two tenants) and cross-tenant references, not guessing either', async () => {
    await runBackfill(kit.db.migrationUrl, mapping, { tables: ['public.projects'] });
    expect(await validate(postgres, mapping, ['public.projects'])).toEqual([
      {
        table: 'public.projects',
        problem: 'missing-tenant',
        rowKey: id(3, 991),
        detail: 'ambiguous: the mapping finds 2 tenants for this row',
      },
    ]);
    // The consultant's users row is Acme's, so the project goes to Acme too (Globex would make its owner cross-tenant).
    await kit.adminQuery(`update public.projects set tenant_id = $1 where id = $2`, [ACME, id(3, 991)]);

    await runBackfill(kit.db.migrationUrl, mapping, { tables: ['public.tasks'] });
    const problems = await validate(postgres, mapping, ['public.tasks']);
    expect(problems.map((p) => [p.problem, p.rowKey])).toEqual([
      ['cross-tenant', id(4, 93)],
      ['missing-tenant', id(4, 91)],
      ['missing-tenant', id(4, 92)],
    ]);
    expect(problems[0]?.detail).toBe(
      `foreign key tasks_assignee_id_fkey (assignee_id) -> public.users: row tenant ${ACME}, referenced row ${id(2, 201)} of tenant ${GLOBEX}`,
    );
    // The consultant's project is Acme's now, so its tasks followed it.
    const [placed] = await q<{ n: number }>(
      `select count(*)::int as n from public.tasks where project_id = $1 and tenant_id = $2`,
      [id(3, 991), ACME],
    );
    expect(placed?.n).toBe(4);
    await kit.adminQuery(`delete from public.tasks where id in ($1, $2)`, [id(4, 91), id(4, 92)]);
    await kit.adminQuery(`update public.tasks set assignee_id = null where id = $1`, [id(4, 93)]);
    expect(await validate(postgres, mapping, ['public.tasks'])).toEqual([]);
  });

  it('resumes a backfill that was killed mid-way: no batch lost, none done twice', async () => {
    const [{ total } = { total: 0 }] = await q<{ total: number }>(`select count(*)::int as total from public.comments`);
    const batchSize = 40;
    // Hold one row ten batches in, so the run stops there with nine batches committed and the tenth waiting.
    const holder = new pg.Client({ connectionString: kit.db.superuserUrl });
    await holder.connect();
    let child: ChildProcess | undefined;
    try {
      await holder.query('begin');
      // (OFFSET under FOR UPDATE would lock the skipped rows too: pick the row first, then lock just it.)
      await holder.query(
        `select id from public.comments where id = (select id from public.comments order by id offset ${batchSize * 9 + 5} limit 1) for update`,
      );
      child = spawn(
        join(root, 'packages/adopt/node_modules/.bin/tsx'),
        [
          join(root, 'scripts/tenancy-adopt.ts'),
          'backfill',
          '--db',
          kit.db.migrationUrl,
          '--mapping',
          mappingFile,
          '--table',
          'public.comments',
          '--batch-size',
          String(batchSize),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr?.on('data', (chunk) => {
        stderr += String(chunk);
      });
      let exitedEarly = false;
      child.once('exit', () => {
        exitedEarly = true;
      });
      let pid: number | undefined;
      while (pid === undefined) {
        if (exitedEarly) throw new Error(`the backfill exited before reaching the held row: ${stderr}`);
        const [waiting] = await q<{ pid: number }>(
          `select pid from pg_stat_activity where application_name = 'bulkhead-adopt-backfill' and datname = current_database()
             and wait_event_type = 'Lock'`,
        );
        pid = waiting?.pid;
        if (pid === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      const [mid] = await q<{ batches: number; rows_seen: number; last_key: string }>(
        `select batches, rows_seen::int, last_key from bulkhead_adopt.backfill_checkpoints where table_name = 'public.comments'`,
      );
      expect(mid).toMatchObject({ batches: 9, rows_seen: batchSize * 9 });

      // The crash: the process is killed and its connection goes with it, mid-batch.
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await kit.adminQuery(`select pg_terminate_backend($1)`, [pid]);
      for (;;) {
        const [alive] = await q<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = $1`, [pid]);
        if (alive?.n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await holder.query('rollback');

      // Exactly the committed batches are done: placed up to the checkpoint, untouched after it.
      const [after] = await q<{ batches: number; rows_seen: number; last_key: string; finished_at: Date | null }>(
        `select batches, rows_seen::int, last_key, finished_at from bulkhead_adopt.backfill_checkpoints where table_name = 'public.comments'`,
      );
      expect(after).toMatchObject({ batches: 9, rows_seen: batchSize * 9, last_key: mid?.last_key, finished_at: null });
      const [split] = await q<{ before_null: number; after_set: number; before: number }>(
        `select count(*) filter (where id <= $1::uuid and tenant_id is null)::int as before_null,
                count(*) filter (where id > $1::uuid and tenant_id is not null)::int as after_set,
                count(*) filter (where id <= $1::uuid)::int as before
           from public.comments`,
        [after?.last_key],
      );
      expect(split).toEqual({ before_null: 0, after_set: 0, before: batchSize * 9 });
    } finally {
      child?.kill('SIGKILL');
      await holder.end();
    }

    // Run again: it resumes after the checkpoint and finishes.
    const [resumed] = await runBackfill(kit.db.migrationUrl, mapping, { tables: ['public.comments'], batchSize });
    expect(resumed?.rowsSeen).toBe(total - batchSize * 9);
    const [done] = await q<{ batches: number; rows_seen: number; rows_assigned: number; finished: boolean }>(
      `select batches, rows_seen::int, rows_assigned::int, finished_at is not null as finished
         from bulkhead_adopt.backfill_checkpoints where table_name = 'public.comments'`,
    );
    expect(done).toEqual({ batches: Math.ceil(total / batchSize), rows_seen: total, rows_assigned: total, finished: true });
    // Every comment has its task's tenant.
    const [wrong] = await q<{ n: number }>(
      `select count(*)::int as n from public.comments c join public.tasks t on t.id = c.task_id where c.tenant_id is distinct from t.tenant_id`,
    );
    expect(wrong?.n).toBe(0);
  });

  it('constrain: validation lists the cross-tenant comments; once fixed, NOT NULL and composite keys apply', async () => {
    // The planted Globex comment on an Acme task, and the three comments the Globex assignee of task 93 wrote there.
    const problems = await validate(postgres, mapping);
    expect(problems.every((p) => p.table === 'public.comments' && p.problem === 'cross-tenant')).toBe(true);
    expect(problems.map((p) => p.rowKey)).toContain(id(5, 91));
    const [onTask93] = await q<{ n: number }>(
      `select count(*)::int as n from public.comments where task_id = $1 and author_id = $2`,
      [id(4, 93), id(2, 201)],
    );
    expect(problems).toHaveLength(1 + (onTask93?.n ?? 0));
    for (const p of problems)
      expect(p.detail).toMatch(/^foreign key comments_author_id_fkey \(author_id\) -> public.users: row tenant /);
    await kit.adminQuery(`update public.comments set author_id = null where id = any($1::uuid[])`, [
      problems.map((p) => p.rowKey),
    ]);
    folder.write(
      await plan(postgres, mapping, { action: 'constrain', tables: ['public.projects', 'public.tasks', 'public.comments'] }),
    );
    await folder.apply();
    const fks = await q<{ def: string }>(
      `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'public.tasks'::regclass and contype = 'f' order by conname`,
    );
    expect(fks.map((f) => f.def)).toEqual([
      'FOREIGN KEY (tenant_id, assignee_id) REFERENCES users(tenant_id, id) ON DELETE SET NULL (assignee_id)',
      'FOREIGN KEY (tenant_id) REFERENCES tenants(id)',
    ]);
    const [unique] = await q<{ def: string }>(
      `select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'users_external_id_key'`,
    );
    expect(unique?.def).toBe('UNIQUE (tenant_id, external_id)');
    // A row can no longer point into another tenant, even for a BYPASSRLS writer.
    await expect(
      kit.adminQuery(`update public.tasks set assignee_id = $1 where id = $2`, [id(2, 201), id(4, 93)]),
    ).rejects.toThrow(/tasks_assignee_id_fkey/);
  });

  it('shadow mode: the same results as before, and the rows a wrong query would lose are recorded', async () => {
    const globexProject = id(3, 37); // the first Globex user's first project
    const [owner] = await q<{ tenant_id: string }>(`select tenant_id from public.projects where id = $1`, [globexProject]);
    expect(owner?.tenant_id).toBe(GLOBEX);
    // The old app's task list trusted the project id from the URL: a query enforcement would break.
    const wrongQuery = async () =>
      kit.as(alice, async (c) => {
        await c.query(`select set_config('bulkhead.caller', 'GET /projects/:id/tasks', true)`);
        return (
          await c.query<{ id: string; title: string }>(`select id, title from public.tasks where project_id = $1 order by id`, [
            globexProject,
          ])
        ).rows;
      });
    const rightQuery = async () =>
      kit.as(alice, async (c) => {
        await c.query(`select set_config('bulkhead.caller', 'GET /projects', true)`);
        return (await c.query<{ id: string }>(`select id from public.projects where owner_id = $1 order by id`, [id(2, 101)]))
          .rows;
      });
    // Comments already had row level security (any signed-in user reads all): shadow mode must keep that too.
    const [globexTask] = await q<{ id: string }>(`select id from public.tasks where project_id = $1 order by id limit 1`, [
      globexProject,
    ]);
    const commentsQuery = async () =>
      kit.as(alice, async (c) => {
        await c.query(`select set_config('bulkhead.caller', 'GET /tasks/:id/comments', true)`);
        return (
          await c.query<{ id: string; body: string }>(`select id, body from public.comments where task_id = $1 order by id`, [
            globexTask?.id,
          ])
        ).rows;
      });
    const before = { wrong: await wrongQuery(), right: await rightQuery(), comments: await commentsQuery() };
    expect(before.wrong).toHaveLength(4);
    expect(before.right).toHaveLength(2);
    expect(before.comments).toHaveLength(3);

    folder.write(await plan(postgres, mapping, { action: 'shadow', tables: [] }));
    await folder.apply();
    expect([...(await readRecords(postgres)).values()].map((r) => r.state)).toEqual(['shadow', 'shadow', 'shadow', 'shadow']);

    expect(await wrongQuery()).toEqual(before.wrong);
    expect(await rightQuery()).toEqual(before.right);
    expect(await commentsQuery()).toEqual(before.comments);
    const policies = await q<{ name: string; permissive: string }>(
      `select policyname as name, permissive from pg_policies where tablename = 'comments' order by 1`,
    );
    expect(policies).toEqual([
      { name: 'adopt_shadow_authenticated', permissive: 'RESTRICTIVE' },
      { name: 'adopt_shadow_other_roles', permissive: 'RESTRICTIVE' },
      { name: 'comments_read', permissive: 'PERMISSIVE' },
      { name: 'comments_write', permissive: 'PERMISSIVE' },
    ]);
    const recorded = await q<{
      row_key: string;
      row_tenant: string;
      caller: string;
      caller_role: string;
      caller_user: string;
      caller_tenant: string;
    }>(
      `select row_key, row_tenant::text, caller, caller_role, caller_user, caller_tenant::text
         from bulkhead_adopt.shadow_findings where table_name = 'public.tasks' order by row_key`,
    );
    expect(recorded).toEqual(
      before.wrong.map((row) => ({
        row_key: row.id,
        row_tenant: GLOBEX,
        caller: 'GET /projects/:id/tasks',
        caller_role: 'authenticated',
        caller_user: alice.user.id,
        caller_tenant: ACME,
      })),
    );
    // The findings name other tenants' rows: callers may add to them, never read or change them.
    for (const sql of ['select * from bulkhead_adopt.shadow_findings', 'delete from bulkhead_adopt.shadow_findings']) {
      await expect(kit.as(alice, (c) => c.query(sql))).rejects.toThrow(/permission denied for table shadow_findings/);
    }
    // The old app's inserts keep working without a tenant: the trigger places them, and nothing is recorded.
    const inserted = await kit.as(alice, (c) =>
      c.query<{ tenant_id: string }>(`insert into public.tasks (project_id, title) values ($1, 'new task') returning tenant_id`, [
        id(3, 1),
      ]),
    );
    expect(inserted.rows[0]?.tenant_id).toBe(ACME);
    const [comments] = await q<{ keys: string[]; callers: string[] }>(
      `select array_agg(row_key order by row_key) as keys, array_agg(distinct caller) as callers
         from bulkhead_adopt.shadow_findings where table_name = 'public.comments'`,
    );
    expect(comments).toEqual({ keys: before.comments.map((c) => c.id), callers: ['GET /tasks/:id/comments'] });
    expect(
      await q(`select 1 from bulkhead_adopt.shadow_findings where table_name not in ('public.tasks', 'public.comments')`),
    ).toEqual([]);
  });

  it('report: summarises findings per table and caller, and refuses to enforce until they are explained or forced', async () => {
    const report = await shadowReport(postgres);
    expect(report).toMatchObject([
      { table: 'public.comments', caller: 'GET /tasks/:id/comments', rows: 3, unexplained: 3 },
      {
        table: 'public.tasks',
        caller: 'GET /projects/:id/tasks',
        roles: ['authenticated'],
        rows: 4,
        users: 1,
        unexplained: 4,
        explanation: null,
      },
    ]);
    await expect(plan(postgres, mapping, { action: 'enforce', tables: ['public.tasks'] })).rejects.toThrow(PlanError);
    // The command line says the same with exit status 1, and writes nothing.
    const cli = (...args: string[]) =>
      main([...args, '--db', kit.db.migrationUrl, '--mapping', mappingFile, '--out', folder.dir]);
    const filesBefore = readdirSync(folder.dir).length;
    expect(await cli('report')).toBe(1);
    expect(await cli('enforce', '--table', 'public.tasks')).toBe(1);
    expect(readdirSync(folder.dir)).toHaveLength(filesBefore);
    await expect(plan(postgres, mapping, { action: 'enforce', tables: ['public.tasks'] })).rejects.toThrow(
      /refusing to enforce with unexplained shadow findings:\n {2}public.tasks: GET \/projects\/:id\/tasks \(4 unexplained finding\(s\) on 4 row\(s\)\)/,
    );
    await expect(
      plan(postgres, mapping, { action: 'enforce', tables: ['public.tasks'], force: { reason: 'because' } }),
    ).rejects.toThrow(/--force needs --reason/);
    // Forcing records the reason in the migration and in the log.
    const forced = await plan(postgres, mapping, {
      action: 'enforce',
      tables: ['public.tasks'],
      force: { reason: 'The task list reads project ids from URLs; those requests are bugs we want to fail.' },
    });
    expect(forced[0]?.sql).toMatch(/Enforced over unexplained shadow findings, with this reason: The task list reads/);
    // Explaining the caller clears the gate without forcing.
    await explainFindings(
      postgres,
      'public.tasks',
      'GET /projects/:id/tasks',
      'Cross-tenant links from old e-mails; enforcement should refuse them.',
    );
    expect((await shadowReport(postgres, 'public.tasks'))[0]).toMatchObject({ unexplained: 0 });
    const plain = await plan(postgres, mapping, { action: 'enforce', tables: ['public.tasks'] });
    expect(plain[0]?.sql).not.toMatch(/Enforced over unexplained/);
  });

  it('enforce: FORCE RLS owned by tenancy_owner; the tenancy audit reports no error and the attack suite no leak', async () => {
    // Comments go over their unexplained findings, forced with a reason, which the log keeps.
    await expect(plan(postgres, mapping, { action: 'enforce', tables: [] })).rejects.toThrow(
      /public.comments: GET \/tasks\/:id\/comments/,
    );
    const reason = 'Comments become tenant-private on purpose: the public comment feed is retired with this release.';
    folder.write(
      await plan(postgres, mapping, { action: 'enforce', tables: ['public.users', 'public.projects', 'public.tasks'] }),
    );
    folder.write(await plan(postgres, mapping, { action: 'enforce', tables: ['public.comments'], force: { reason } }));
    await folder.apply();
    expect(
      await q(`select table_name, reason from bulkhead_adopt.state_log where to_step = 'enforce' and reason is not null`),
    ).toEqual([{ table_name: 'public.comments', reason }]);
    const commentPolicies = await q<{ name: string }>(
      `select policyname as name from pg_policies where tablename = 'comments' order by 1`,
    );
    expect(commentPolicies.map((p) => p.name)).toEqual([
      'comments_tenant_delete',
      'comments_tenant_insert',
      'comments_tenant_select',
      'comments_tenant_update',
    ]);
    const tables = await q<{ name: string; rls: boolean; force: boolean; owner: string }>(
      `select c.oid::regclass::text as name, relrowsecurity as rls, relforcerowsecurity as force, pg_get_userbyid(relowner) as owner
         from pg_class c where c.oid = any($1::regclass[]) order by 1`,
      [TABLES],
    );
    for (const t of tables) expect(t).toMatchObject({ rls: true, force: true, owner: 'tenancy_owner' });

    // The query shadow mode flagged now returns nothing; the same user's own data still works.
    const wrong = await kit.as(alice, (c) => c.query(`select id from public.tasks where project_id = $1`, [id(3, 37)]));
    expect(wrong.rows).toEqual([]);
    const own = await kit.as(alice, (c) => c.query(`select id from public.tasks where project_id = $1`, [id(3, 1)]));
    expect(own.rows.length).toBeGreaterThan(0);

    const config = loadConfig(join(root, 'supabase/tenancy-audit.json'), { required: true });
    const audit = await auditLive(kit.db.migrationUrl, config);
    const errors = audit.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => `${f.id} ${f.object}: ${f.message}`)).toEqual([]);
    const onAdopted = audit.findings.filter((f) => TABLES.some((t) => f.object.startsWith(`${t}.`) || f.object === t));
    console.log(
      `[adopt] audit on adopted tables: ${onAdopted.map((f) => `${f.id}(${f.severity}) ${f.object}`).join(', ') || 'nothing'}`,
    );
    // Static mode agrees: the kit's migrations, the old app's schema and the generated ones, replayed.
    const replay = mkdtempSync(join(tmpdir(), 'bulkhead-adopt-static-'));
    try {
      for (const file of readdirSync(join(root, 'supabase/migrations'))) {
        copyFileSync(join(root, 'supabase/migrations', file), join(replay, file));
      }
      writeFileSync(join(replay, '20260601000000_legacy_app_schema.sql'), fixture('app-schema.sql'));
      for (const file of readdirSync(folder.dir)) copyFileSync(join(folder.dir, file), join(replay, file));
      const statically = await auditStatic(replay, config);
      // It did model the adopted tables as tenant tables (the one warning live mode gives them, too).
      expect(statically.findings.filter((f) => f.object === 'public.tasks.tasks_pkey').map((f) => f.id)).toEqual(['BH012']);
      expect(statically.findings.filter((f) => f.severity === 'error').map((f) => `${f.id} ${f.object}: ${f.message}`)).toEqual(
        [],
      );
    } finally {
      rmSync(replay, { recursive: true, force: true });
    }

    const seed = (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
    console.log(`[adopt] attack suite seed ${seed}`);
    const report = await runAttackSuite(kit, { runs: 150, seed });
    for (const script of report.scripts) console.error(script);
    expect(report.catalog.relations.map((r) => r.name)).toEqual(expect.arrayContaining(TABLES));
    console.log(
      `[adopt] positive controls: ${JSON.stringify(report.controls.succeeded)}; missing: ${report.controls.missing.join(', ')}`,
    );
    expect(report.gate.seedFailures).toEqual([]);
    expect(report.scripts).toEqual([]);
    for (const table of TABLES) {
      for (const op of ['select', 'insert', 'update', 'delete']) {
        expect(report.controls.succeeded[`${table} ${op}`], `${table} ${op} inside the attacker's own tenant`).toBeGreaterThan(0);
      }
    }
    expect(report.controls.missing).toEqual([]);
  }, 600_000);

  it('rolls back: enforce → shadow, then shadow → none restores the original schema exactly', async () => {
    folder.write(await planRollback(postgres, mapping, [], 'shadow'));
    await folder.apply();
    expect([...(await readRecords(postgres)).values()].map((r) => r.state)).toEqual(['shadow', 'shadow', 'shadow', 'shadow']);
    const [owner] = await q<{ owner: string; force: boolean }>(
      `select pg_get_userbyid(relowner) as owner, relforcerowsecurity as force from pg_class where oid = 'public.tasks'::regclass`,
    );
    expect(owner).toEqual({ owner: 'postgres', force: false });
    // Children before parents: a table's tenant key goes only once nothing references it.
    await expect(planRollback(postgres, mapping, ['public.users'], 'none')).rejects.toThrow(
      /references public.users through its tenant key/,
    );
    folder.write(await planRollback(postgres, mapping, [], 'none'));
    await folder.apply();
    expect(await schemaSnapshot(postgres, TABLES)).toEqual(original);
    expect((await readRecords(postgres)).size).toBe(0);
  });
});
