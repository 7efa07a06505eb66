/** Percentiles and timing helpers shared by the benchmarks. Times are in milliseconds. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `a` and `b` alternately (so drift hits both alike) and returns their samples. */
export function interleaved(
  runs: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  warmup = Math.min(50, runs),
): Promise<{ a: number[]; b: number[] }> {
  return alternating(
    runs,
    () => time(a),
    () => time(b),
    warmup,
  );
}

/** Like interleaved(), for sides that time themselves (when only part of each call is measured). */
export async function alternating(
  runs: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
  warmup = Math.min(50, runs),
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < runs; i++) {
    out.a.push(await a());
    out.b.push(await b());
  }
  return out;
}

export const fmt = (ms: number, digits = 3) => ms.toFixed(digits);
export const ratio = (x: number, y: number) => (x / y).toFixed(2);
