import { mkdirSync } from 'node:fs';
import { startAuthServer } from './auth/server';
import { loadSupabaseConfig, stackPorts } from './config';
import { withLogin } from './db';
import { stackEnv } from './env';
import { LOCAL_DB_PASSWORD, localApiKeys } from './keys';
import { stackPaths } from './paths';
import { type RunningPostgres, startEmbeddedPostgres } from './postgres';
import { prepareDatabase } from './prepare-database';
import { applySeed } from './seed';
import { stackEnvironment } from './stack-env';
import { writeState } from './state';
import { startStackStripe } from './stripe/stack';

/**
 * The long-running stack process `pnpm stack up` starts in the background. It owns the
 * embedded PostgreSQL, the local auth server and the local Stripe stand-in, publishes its state
 * in state.json, and stops them on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const paths = stackPaths(stackEnv.stackDir);
  mkdirSync(paths.root, { recursive: true });
  const base = { pid: process.pid, startedAt: new Date(started).toISOString() };
  writeState(paths.state, { ...base, status: 'starting' });

  const stoppers: Array<() => Promise<void>> = [];
  const shutdown = async (code: number) => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  try {
    const config = loadSupabaseConfig();
    const keys = await localApiKeys();
    const ports = stackPorts(config, stackEnv);
    let postgres: RunningPostgres | undefined;
    if (!stackEnv.databaseUrl) {
      postgres = await startEmbeddedPostgres({ dataDir: paths.pgData, port: ports.db, password: LOCAL_DB_PASSWORD });
      stoppers.push(postgres.stop);
    }
    const adminUrl = stackEnv.databaseUrl ?? postgres?.superuserUrl ?? '';
    const db = await prepareDatabase(adminUrl, LOCAL_DB_PASSWORD);
    // Like `supabase start`, a first start also loads supabase/seed.sql (`reset` reloads it).
    if (db.fresh) await applySeed(db.migrationUrl);

    const apiUrl = `http://127.0.0.1:${ports.api}`;
    let stripeEnv: Record<string, string> = {};
    if (db.kind === 'bootstrapped') {
      // On a database that already is Supabase (supabase start), its own Auth serves the API.
      const auth = await startAuthServer({
        port: ports.api,
        apiUrl,
        databaseUrl: db.authUrl,
        config,
        signingKeysPath: paths.signingKeys,
        keys,
      });
      stoppers.push(auth.stop);
      // The Stripe stand-in comes with the stack's own services; with supabase start or a real
      // Stripe account the apps get STRIPE_* from their own environment instead.
      const stripe = await startStackStripe({ apiPort: ports.api, statePath: paths.stripeState });
      stoppers.push(stripe.stop);
      stripeEnv = stripe.env;
    }

    writeState(paths.state, {
      ...base,
      status: 'ready',
      postgres: postgres ? 'embedded' : 'external',
      database: db.kind,
      env: {
        ...stackEnvironment({
          apiUrl,
          migrationUrl: db.migrationUrl,
          keys,
          appDatabaseUrl: db.kind === 'bootstrapped' ? withLogin(db.migrationUrl, 'app_server', LOCAL_DB_PASSWORD) : undefined,
          billingDatabaseUrl:
            db.kind === 'bootstrapped' ? withLogin(db.migrationUrl, 'billing_sync', LOCAL_DB_PASSWORD) : undefined,
        }),
        ...stripeEnv,
      },
      readyInMs: Date.now() - started,
    });
  } catch (error) {
    writeState(paths.state, { ...base, status: 'failed', error: error instanceof Error ? error.message : String(error) });
    await shutdown(1);
  }
}

void main();
