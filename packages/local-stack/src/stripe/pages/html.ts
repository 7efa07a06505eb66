/** Minimal HTML for the local Checkout and Portal pages: escaping and one page frame. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function money(amount: number | null, currency: string): string {
  return `${((amount ?? 0) / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a2e; }
.banner { background: #fff3cd; border: 1px solid #e0c36b; padding: .5rem .75rem; border-radius: 6px; font-size: .9rem; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
td, th { text-align: left; padding: .4rem; border-bottom: 1px solid #ddd; }
button { padding: .5rem 1rem; margin: .25rem .25rem .25rem 0; cursor: pointer; }
section { border: 1px solid #ddd; border-radius: 8px; padding: 1rem; margin: 1rem 0; }
.error { color: #a4001d; }
</style>
</head>
<body>
<p class="banner">Local Stripe stand-in (test mode). Nothing here reaches Stripe.</p>
${body}
</body>
</html>`;
}

export interface PageReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export function html(body: string, status = 200): PageReply {
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body };
}

export function redirect(location: string): PageReply {
  return { status: 303, headers: { Location: location } };
}
