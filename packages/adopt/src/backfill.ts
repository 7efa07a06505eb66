import pg from 'pg';
import type { Mapping } from './mapping';
import { display, ident, objectName, slug } from './sql';

/**
 * Runs the batched backfill the step-2 migration created: one call of the table's batch
 * function per transaction (autocommit), until it reports the table finished. Safe to kill at
 * any moment and to run again: the checkpoint moves in the same transaction as the batch.
 */

export interface BackfillProgress {
  table: string;
  batch: number;
  rowsSeen: number;
  rowsAssigned: number;
  rowsUnresolved: number;
  ms: number;
}

export interface BackfillResult {
  table: string;
  batches: number;
  rowsSeen: number;
  rowsAssigned: number;
  rowsUnresolved: number;
  ms: number;
  longestBatchMs: number;
}

export interface BackfillOptions {
  batchSize?: number;
  tables?: string[];
  onBatch?: (progress: BackfillProgress) => void;
}

export async function runBackfill(url: string, mapping: Mapping, options: BackfillOptions = {}): Promise<BackfillResult[]> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('--batch-size must be a positive integer');
  const client = new pg.Client({ connectionString: url, application_name: 'bulkhead-adopt-backfill' });
  await client.connect();
  try {
    const wanted = options.tables?.length ? options.tables.map((t) => (t.includes('.') ? t : `public.${t}`)) : undefined;
    const results: BackfillResult[] = [];
    for (const t of mapping.tables) {
      const name = display(t.table);
      if (wanted && !wanted.includes(name)) continue;
      const fn = `bulkhead_adopt.${ident(objectName('backfill_batch', slug(t.table)))}`;
      const result: BackfillResult = {
        table: name,
        batches: 0,
        rowsSeen: 0,
        rowsAssigned: 0,
        rowsUnresolved: 0,
        ms: 0,
        longestBatchMs: 0,
      };
      const started = performance.now();
      for (;;) {
        const batchStarted = performance.now();
        const { rows } = await client.query<{
          rows_seen: number;
          rows_assigned: number;
          rows_unresolved: number;
          finished: boolean;
        }>(`select * from ${fn}($1)`, [batchSize]);
        const ms = performance.now() - batchStarted;
        const row = rows[0];
        if (!row) throw new Error(`${fn} returned nothing`);
        if (row.rows_seen > 0) {
          result.batches += 1;
          result.rowsSeen += row.rows_seen;
          result.rowsAssigned += row.rows_assigned;
          result.rowsUnresolved += row.rows_unresolved;
          result.longestBatchMs = Math.max(result.longestBatchMs, ms);
          options.onBatch?.({
            table: name,
            batch: result.batches,
            rowsSeen: row.rows_seen,
            rowsAssigned: row.rows_assigned,
            rowsUnresolved: row.rows_unresolved,
            ms,
          });
        }
        if (row.finished) break;
      }
      result.ms = performance.now() - started;
      results.push(result);
    }
    return results;
  } finally {
    await client.end();
  }
}
