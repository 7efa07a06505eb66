import { describe, expect, it } from 'vitest';
import { onePerName } from '../../src/next/supabase';

describe('session cookies written for a shared cookie domain', () => {
  it('keep the domain cookie when @supabase/ssr writes a name twice (domain, then host-only)', () => {
    // What @supabase/ssr asks for on sign-out with cookieOptions.domain set.
    const written = onePerName([
      { name: 'sb-127-auth-token', value: '', options: { domain: 'example.com', maxAge: 0 } },
      { name: 'sb-127-auth-token', value: '', options: { maxAge: 0 } },
      { name: 'sb-127-auth-token.0', value: '', options: { domain: 'example.com', maxAge: 0 } },
    ]);
    expect(written).toEqual([
      { name: 'sb-127-auth-token', value: '', options: { domain: 'example.com', maxAge: 0 } },
      { name: 'sb-127-auth-token.0', value: '', options: { domain: 'example.com', maxAge: 0 } },
    ]);
    // The other order, and without a domain nothing changes.
    expect(
      onePerName([
        { name: 'a', value: 'host', options: {} },
        { name: 'a', value: 'shared', options: { domain: 'example.com' } },
      ]),
    ).toEqual([{ name: 'a', value: 'shared', options: { domain: 'example.com' } }]);
    const plain = [
      { name: 'a', value: '1', options: {} },
      { name: 'b', value: '2', options: {} },
    ];
    expect(onePerName(plain)).toEqual(plain);
  });
});
