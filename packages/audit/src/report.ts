import { checks, type Severity } from './checks';
import type { AuditResult, Finding } from './engine';

/** The three outputs: a readable report, JSON, and SARIF 2.1.0 for GitHub code scanning. */

export const TOOL_NAME = 'bulkhead-tenancy-audit';
export const TOOL_VERSION = '1.0.0';

export function summarize(result: AuditResult): Record<Severity | 'allowed', number> {
  const count = (severity: Severity) => result.findings.filter((f) => f.severity === severity).length;
  return { error: count('error'), warn: count('warn'), info: count('info'), allowed: result.suppressed.length };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function where(finding: Finding): string | undefined {
  return finding.location ? `${finding.location.file}:${finding.location.line}` : undefined;
}

/** A table of findings, then each one with its message, location, why and fix. */
export function formatText(result: AuditResult, options: { configPath?: string } = {}): string {
  const lines: string[] = [];
  const tables = result.tenantTables.length;
  lines.push(`Bulkhead tenancy audit (${result.mode}): ${result.target}`);
  lines.push(`${plural(tables, 'tenant table')}${tables ? `: ${result.tenantTables.join(', ')}` : ''}`);
  lines.push('');
  if (result.findings.length > 0) {
    const rows = result.findings.map((f) => [f.severity.toUpperCase(), f.id, f.name, f.object, where(f) ?? '']);
    const header = ['SEVERITY', 'ID', 'CHECK', 'OBJECT', 'WHERE'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => pad(c, widths[i] ?? 0))
        .join('  ')
        .trimEnd();
    lines.push(line(header));
    lines.push(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) lines.push(line(row));
    lines.push('');
    for (const f of result.findings) {
      lines.push(`${f.severity.toUpperCase()} ${f.id} ${f.name}: ${f.object}`);
      lines.push(`  ${f.message}`);
      const at = where(f);
      if (at) lines.push(`  at:  ${at}`);
      lines.push(`  why: ${f.why}`);
      lines.push(`  fix: ${f.fix}`);
      lines.push('');
    }
  } else {
    lines.push('No findings.');
    lines.push('');
  }
  if (result.suppressed.length > 0) {
    lines.push(`Allowed by ${options.configPath ?? 'the audit config'}:`);
    for (const f of result.suppressed) lines.push(`  ${f.id} ${f.name}: ${f.object} — ${f.justification}`);
    lines.push('');
  }
  const s = summarize(result);
  lines.push(`${plural(s.error, 'error')}, ${plural(s.warn, 'warning')}, ${s.info} info, ${s.allowed} allowed`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(result: AuditResult, failOn: Severity): string {
  return `${JSON.stringify(
    {
      tool: TOOL_NAME,
      version: TOOL_VERSION,
      mode: result.mode,
      target: result.target,
      failOn,
      summary: summarize(result),
      tenantTables: result.tenantTables,
      findings: result.findings,
      suppressed: result.suppressed,
    },
    null,
    2,
  )}\n`;
}

const sarifLevel: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warn: 'warning', info: 'note' };
const securitySeverity: Record<Severity, string> = { error: '8.0', warn: '5.0', info: '1.0' };

export interface SarifOptions {
  /** Where findings without a migration location point (the audit config): code scanning wants a file. */
  fallbackUri?: string;
}

export function formatSarif(result: AuditResult, options: SarifOptions = {}): string {
  const ruleIndex = new Map(checks.map((c, i) => [c.id, i]));
  const toResult = (f: Finding, justification?: string) => {
    const uri = f.location?.file ?? options.fallbackUri;
    const physical = uri
      ? [
          {
            physicalLocation: {
              artifactLocation: { uri, uriBaseId: '%SRCROOT%' },
              region: { startLine: f.location?.line ?? 1 },
            },
          },
        ]
      : [];
    return {
      ruleId: f.id,
      ruleIndex: ruleIndex.get(f.id),
      level: sarifLevel[f.severity],
      message: { text: `${f.message} Fix: ${f.fix}` },
      locations: [
        {
          ...(physical[0] ?? {}),
          logicalLocations: [{ fullyQualifiedName: f.object, kind: 'object' }],
        },
      ],
      partialFingerprints: { 'bulkheadObject/v1': `${f.id}:${f.object}` },
      ...(justification !== undefined ? { suppressions: [{ kind: 'external', justification }] } : {}),
    };
  };
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: TOOL_VERSION,
            rules: checks.map((c) => ({
              id: c.id,
              name: c.name,
              shortDescription: { text: c.title },
              fullDescription: { text: c.why },
              help: { text: `Fix: ${c.fix}`, markdown: `**Why:** ${c.why}\n\n**Fix:** \`${c.fix}\`` },
              defaultConfiguration: { level: sarifLevel[c.severity] },
              properties: { tags: ['security', 'tenancy', 'rls'], 'security-severity': securitySeverity[c.severity] },
            })),
          },
        },
        automationDetails: { id: `tenancy-audit/${result.mode}/` },
        results: [...result.findings.map((f) => toResult(f)), ...result.suppressed.map((f) => toResult(f, f.justification))],
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
