import { ok, type Route } from '../route';

/** Health, settings and the JWKS: GoTrue's unauthenticated read-only endpoints. */

export const publicRoutes: Route[] = [
  {
    method: 'GET',
    path: '/health',
    handler: async () =>
      ok({ version: 'bulkhead-local', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' }),
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    // GoTrue lets clients and edges cache the key set for ten minutes.
    handler: async ({ app }) => ok(app.signingKeys.jwks, { 'Cache-Control': 'public, max-age=600' }),
  },
  {
    method: 'GET',
    path: '/settings',
    handler: async ({ app }) =>
      ok({
        external: {
          anonymous_users: false,
          apple: false,
          azure: false,
          bitbucket: false,
          discord: false,
          facebook: false,
          figma: false,
          fly: false,
          github: false,
          gitlab: false,
          google: false,
          keycloak: false,
          kakao: false,
          linkedin: false,
          linkedin_oidc: false,
          nextcloud: false,
          notion: false,
          spotify: false,
          slack: false,
          slack_oidc: false,
          workos: false,
          twitch: false,
          twitter: false,
          email: true,
          phone: false,
          zoom: false,
        },
        disable_signup: !app.settings.enableSignup,
        // Locally every email signup is confirmed at once (supabase start's enable_confirmations = false).
        mailer_autoconfirm: true,
        phone_autoconfirm: false,
        sms_provider: '',
        saml_enabled: false,
      }),
  },
];
