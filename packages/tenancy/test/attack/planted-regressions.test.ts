import { beforeAll, describe, expect, inject, it } from 'vitest';
import { attackEnv } from './env';
import { openWithFixture } from './fixture-database';
import { runAttackSuite } from './suite';

/**
 * The attack suite is only worth something if it fails when isolation breaks. Each fixture plants
 * exactly one of the regressions issue 7 names on top of the kit's migrations; the suite, which
 * is told nothing about it, must report a leak or a foreign change, and only through the planted
 * object. A control fixture makes the same kinds of additions correctly and must come out clean.
 */

const cluster = inject('cluster');
const runs = Math.min(attackEnv.runs, 600);

const regressions = [
  {
    fixture: '29990101000001_regression_rls_not_forced_owner_query.sql',
    plants: 'RLS without FORCE, queried by its owner (a definer function)',
    target: 'public.search_documents(query text)',
  },
  {
    fixture: '29990101000002_regression_policy_reads_user_metadata.sql',
    plants: 'a policy reading user_metadata',
    target: 'public.documents',
  },
  {
    fixture: '29990101000003_regression_permissive_select_true.sql',
    plants: 'a permissive USING (true) SELECT policy',
    target: 'public.invitations',
  },
  {
    fixture: '29990101000004_regression_definer_takes_tenant_id.sql',
    plants: 'a SECURITY DEFINER function taking a tenant id without a membership check',
    target: 'public.tenant_member_emails(tenant_id uuid)',
  },
  {
    fixture: '29990101000005_regression_update_with_check_true.sql',
    plants: 'an UPDATE policy WITH CHECK (true)',
    target: 'public.projects',
  },
  {
    // Not one of issue 7's five: the kit's own proof of a verified request, trusted without its
    // MAC. A helper every policy calls, so the leak shows up in whichever tables are hit first.
    fixture: '29990101000006_regression_request_proof_without_mac.sql',
    plants: 'a request proof trusted without checking its MAC',
    target: undefined,
    via: 'bulkhead.request_proof',
  },
];

beforeAll(() => {
  console.log(
    `[attack] planted regressions: seed ${attackEnv.seed}, ${runs} generated attacks each — replay: pnpm test:attack --seed ${attackEnv.seed}`,
  );
});

describe('planted regressions', () => {
  for (const regression of regressions) {
    it(`catches ${regression.plants}`, async () => {
      const kit = await openWithFixture(cluster, regression.fixture);
      try {
        const report = await runAttackSuite(kit, { runs, seed: attackEnv.seed, maxFindings: 3 });
        const targets = [...new Set(report.findings.map((f) => f.resolved.statement.target))];
        const phases = [...new Set(report.findings.map((f) => f.phase))];
        console.log(
          `[attack] ${regression.fixture}: ${report.findings.length} finding(s) by ${phases.join(' and ') || 'nothing'} ` +
            `(seed ${attackEnv.seed}, ${report.attacks.sweep} sweep + ${report.attacks.property} generated attacks)\n${report.scripts.at(-1) ?? ''}`,
        );
        expect(report.findings.length, 'the suite found nothing').toBeGreaterThan(0);
        // Only the planted object: a finding anywhere else would be noise (or a second bug).
        if (regression.target) expect(targets).toEqual([regression.target]);
        if (regression.via) expect(report.scripts.join('\n')).toContain(regression.via);
        expect(report.scripts.at(-1)).toMatch(/set local role authenticated;/);
      } finally {
        await kit.close();
      }
    }, 180_000);
  }

  it('finds nothing in a new table and definer function done right, and covers them unasked', async () => {
    const kit = await openWithFixture(cluster, '29990101000100_clean_new_table_and_function.sql');
    try {
      const report = await runAttackSuite(kit, { runs, seed: attackEnv.seed });
      expect(report.scripts.join('\n\n')).toBe('');
      expect(report.catalog.relations.map((r) => r.name)).toContain('public.projects');
      expect(report.callable.map((f) => f.key)).toContain('public.project_names(tenant_id uuid)');
      expect(report.gate.seedFailures).toEqual([]);
      // The new table was attacked and its positive controls succeeded without anyone listing it.
      for (const op of ['select', 'insert', 'update', 'delete', 'upsert', 'returning']) {
        expect(report.controls.succeeded[`public.projects ${op}`], `public.projects ${op}`).toBeGreaterThan(0);
      }
      expect(report.controls.missing).toEqual([]);
    } finally {
      await kit.close();
    }
  }, 180_000);
});
