import { createThrowawayStack } from '@bulkhead/local-stack/throwaway-stack';
import { percentile } from './stats';

/** Runs `fn` against a throwaway stack, with the variables `pnpm stack env` prints. */
export async function withThrowawayStack<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const stack = await createThrowawayStack();
  try {
    await stack.cli('up');
    return await fn(await stack.env());
  } finally {
    await stack.dispose();
  }
}

/** `pnpm stack up` on an empty data directory (cold) and after `down` (warm), several times. */
export async function benchStackStart(rounds = 5) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const stack = await createThrowawayStack();
    try {
      cold.push((await stack.cli('up')).ms);
      await stack.cli('down');
      warm.push((await stack.cli('up')).ms);
    } finally {
      await stack.dispose();
    }
  }
  return {
    rounds,
    coldP50: percentile(cold, 50),
    coldMax: Math.max(...cold),
    warmP50: percentile(warm, 50),
    warmMax: Math.max(...warm),
  };
}
