/**
 * Timestamps from the staff functions arrive as PostgreSQL text (drizzle's raw execute leaves
 * timestamptz unparsed), e.g. `2026-01-05 10:00:00.123+00`; JSON ones as ISO 8601.
 */
export function asDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
}

/** `2026-01-05` */
export const day = (value: Date | string) => asDate(value).toISOString().slice(0, 10);
/** `2026-01-05 10:00` (UTC) */
export const minute = (value: Date | string) => asDate(value).toISOString().slice(0, 16).replace('T', ' ');
/** `10:00` (UTC) */
export const clock = (value: Date | string) => asDate(value).toISOString().slice(11, 16);
