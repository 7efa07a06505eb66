import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** What a running stack daemon publishes about itself in <stackDir>/state.json. */
export interface StackState {
  status: 'starting' | 'ready' | 'failed';
  pid: number;
  error?: string;
  postgres?: 'embedded' | 'external';
  database?: 'bootstrapped' | 'supabase';
  env?: Record<string, string>;
  startedAt: string;
  readyInMs?: number;
}

export function readState(path: string): StackState | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackState;
  } catch {
    return null;
  }
}

export function writeState(path: string, state: StackState): void {
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

export function clearState(path: string): void {
  rmSync(path, { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
