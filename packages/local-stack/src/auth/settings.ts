import { durationToSeconds, parsePgFunctionUri, type SupabaseConfig } from '../config';

/**
 * The [auth] settings of supabase/config.toml the server acts on, resolved once at start so a
 * bad hook address fails `pnpm stack up` instead of every sign-in.
 */
export interface AuthSettings {
  /** Access-token lifetime in seconds (`jwt_expiry`). */
  jwtExpiry: number;
  rotationEnabled: boolean;
  /** Seconds a rotated refresh token may still be presented (`refresh_token_reuse_interval`). */
  reuseIntervalSeconds: number;
  /** `[auth.sessions] timebox` in seconds, when set. */
  timeboxSeconds?: number;
  /** `[auth.sessions] inactivity_timeout` in seconds, when set. */
  inactivitySeconds?: number;
  enableSignup: boolean;
  /** `site_url`; its host is the default TOTP issuer, as in GoTrue. */
  siteUrl: string;
  minPasswordLength: number;
  accessTokenHook?: { uri: string; schema: string; name: string };
}

export function resolveAuthSettings(config: SupabaseConfig): AuthSettings {
  const auth = config.auth;
  const hook = auth.hook.custom_access_token;
  let accessTokenHook: AuthSettings['accessTokenHook'];
  if (hook?.enabled) {
    if (!hook.uri) throw new Error('[auth.hook.custom_access_token] is enabled but has no uri');
    accessTokenHook = { uri: hook.uri, ...parsePgFunctionUri(hook.uri) };
  }
  return {
    jwtExpiry: auth.jwt_expiry,
    rotationEnabled: auth.enable_refresh_token_rotation,
    reuseIntervalSeconds: auth.refresh_token_reuse_interval,
    // GoTrue treats a zero duration as "no limit".
    timeboxSeconds: durationToSeconds(auth.sessions.timebox) || undefined,
    inactivitySeconds: durationToSeconds(auth.sessions.inactivity_timeout) || undefined,
    enableSignup: auth.enable_signup,
    siteUrl: auth.site_url,
    minPasswordLength: auth.minimum_password_length,
    accessTokenHook,
  };
}
