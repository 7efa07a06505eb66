import type { Route } from 'next';

/** Only same-site paths may be redirect targets (no open redirects through ?next=). */
export function safeNext(value: unknown, fallback = '/'): Route {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\'))
    return fallback as Route;
  return value as Route;
}
