import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { auditLive, auditStatic } from './audit';
import { type Severity, severityRank } from './checks';
import { ConfigError, loadConfig } from './config';
import { type AuditResult, exitCode } from './engine';
import { type AuditEnv, auditEnv } from './env';
import { redactUrl } from './live';
import { formatJson, formatSarif, formatText } from './report';

export const usage = `Usage: pnpm audit:tenancy [mode] [options]

Modes (default: --static):
  --static [dir]        parse the migrations (default: supabase/migrations) and check the end state they describe
  --live [url]          read the catalogs of a running database (default: $DATABASE_URL)

Options:
  --config <file>       audit config with tenant tables, helpers and the allow-list
                        (default: supabase/tenancy-audit.json when it exists)
  --json                print JSON
  --sarif               print SARIF 2.1.0 (GitHub code scanning)
  --output <file>       write the report to a file instead of stdout
  --fail-on <severity>  exit 1 when a finding is at least this severe: error (default), warn, info
  -h, --help            this text

Exit status: 0 no finding at or above --fail-on, 1 findings, 2 the audit could not run.`;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

interface Options {
  mode: 'static' | 'live';
  target: string | undefined;
  config: string | undefined;
  format: 'text' | 'json' | 'sarif';
  output: string | undefined;
  failOn: Severity;
  help: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    mode: 'static',
    target: undefined,
    config: undefined,
    format: 'text',
    output: undefined,
    failOn: 'error',
    help: false,
  };
  let modeSet = false;
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const value = (i: number, flag: string) => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const optionalValue = (i: number) => {
    const v = args[i + 1];
    return v !== undefined && !v.startsWith('-') ? v : undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    switch (flag) {
      case '--static':
      case '--live': {
        if (modeSet) throw new UsageError('choose one of --static and --live');
        modeSet = true;
        options.mode = flag === '--static' ? 'static' : 'live';
        const v = inline ?? optionalValue(i);
        if (v !== undefined && inline === undefined) i++;
        options.target = v;
        break;
      }
      case '--config':
        options.config = inline ?? value(i++, flag);
        break;
      case '--output':
      case '-o':
        options.output = inline ?? value(i++, flag);
        break;
      case '--json':
      case '--sarif': {
        const format = flag === '--json' ? 'json' : 'sarif';
        if (options.format !== 'text' && options.format !== format) throw new UsageError('choose one of --json and --sarif');
        options.format = format;
        break;
      }
      case '--fail-on': {
        const v = inline ?? value(i++, flag);
        if (!(v in severityRank)) throw new UsageError(`--fail-on must be error, warn or info, not ${v}`);
        options.failOn = v as Severity;
        break;
      }
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown argument: ${arg}`);
    }
  }
  return options;
}

/** The project root: the nearest folder with supabase/ (or a pnpm workspace) above `from`. */
export function findProjectRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'supabase')) || existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** Runs the audit; returns the exit status. `workingDir` defaults to where the user ran the command. */
export async function main(argv: string[], io: CliIo = defaultIo, workingDir?: string): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (options.help) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  let env: AuditEnv;
  try {
    env = auditEnv();
  } catch (error) {
    io.stderr(`tenancy audit: ${(error as Error).message}\n`);
    return 2;
  }
  const cwd = workingDir ?? env.invocationDir ?? process.cwd();
  const root = findProjectRoot(cwd);
  const configPath = options.config ? resolve(cwd, options.config) : join(root, 'supabase', 'tenancy-audit.json');
  let result: AuditResult;
  try {
    const config = loadConfig(configPath, { required: options.config !== undefined });
    if (options.mode === 'static') {
      const dir = options.target ? resolve(cwd, options.target) : join(root, 'supabase', 'migrations');
      if (!existsSync(dir)) throw new ConfigError(`migrations folder not found: ${dir}`);
      result = await auditStatic(dir, config, { relativeTo: root });
    } else {
      const url = options.target ?? env.databaseUrl;
      if (!url) throw new ConfigError('--live needs a connection string, or DATABASE_URL in the environment');
      try {
        result = await auditLive(url, config);
      } catch (error) {
        throw new Error(`cannot read the catalogs of ${redactUrl(url)}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    io.stderr(`tenancy audit: ${(error as Error).message}\n`);
    return 2;
  }

  const shownConfig = existsSync(configPath) ? toPosix(relative(root, configPath)) : undefined;
  const report =
    options.format === 'json'
      ? formatJson(result, options.failOn)
      : options.format === 'sarif'
        ? formatSarif(result, { fallbackUri: shownConfig })
        : formatText(result, { configPath: shownConfig });
  if (options.output) {
    writeFileSync(resolve(cwd, options.output), report);
    io.stderr(`tenancy audit: report written to ${options.output}\n`);
  } else {
    io.stdout(report);
  }
  return exitCode(result, options.failOn);
}
