import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { AppError } from '../lib/errors.ts';
import { anonymous } from '../lib/principal.ts';
import { newSecret, sameSecret } from '../lib/secrets.ts';
import { wantsJson } from './errors.ts';
import { requestPath } from './request-path.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session, for logout and the CSRF check. */
    session: { id: number; csrfToken: string; mustChangePassword: boolean } | null;
    /** The token every form carries in `_csrf` (the session's, or a pre-session one on login and setup). */
    csrfToken: string;
  }
}

/**
 * A reminder mail's unsubscribe link (RFC 8058): a mail provider POSTs to it with no cookie and no
 * CSRF token. It carries no session's authority, so there is nothing for a forged request to use.
 */
const UNSUBSCRIBE = /^\/mail\/unsubscribe$/;
/** The application form of a round, and the pages behind an application's secret link. */
const APPLYING = /^\/public\/(rounds\/[^/]+\/apply|applications\/.+)$/;
/** Pages that anyone may open, signed in or not. */
const PUBLIC = [
  /^\/healthz$/,
  /^\/readyz$/,
  /^\/static\//,
  /^\/docs(\/|$)/,
  /^\/login$/,
  /^\/password\/(forgotten|reset)$/,
  /^\/setup$/,
  /^\/language$/,
  /^\/favicon\.ico$/,
  // Calendar feeds: the secret in the address is the authentication. Any address here is public,
  // so a mistyped or cut-off one answers 404 (the route's check), not a sign-in page.
  /^\/calendar\//,
  // A reminder mail's unsubscribe link: the HMAC in the address is the authentication.
  UNSUBSCRIBE,
  // Applying for a grant (issue 21): the form is open to all; an application's secret link is its
  // authentication, and a link that is no link answers 404 (the route's check).
  APPLYING,
  // The public § 18 pages and the accessibility statement: for everyone, signed in or not.
  /^\/public(\/|$)/,
  /^\/accessibility$/,
];
/** The public JSON API: the § 18 rounds' public data, with no key needed (and none looked at). */
const PUBLIC_API = /^\/api\/v1\/public\//;
const SETUP_ALLOWED = [/^\/healthz$/, /^\/readyz$/, /^\/static\//, /^\/setup$/, /^\/language$/, /^\/favicon\.ico$/];
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Where a user with a temporary password is sent, and the pages they may open until they have changed it. */
const CHANGE_PASSWORD_PATH = '/account/password';
const WHILE_PASSWORD_TEMPORARY = [/^\/account\/password$/, /^\/logout$/];

export function cookieNames(config: Config) {
  return config.https
    ? { session: '__Host-samspil_session', csrf: '__Host-samspil_csrf' }
    : { session: 'samspil_session', csrf: 'samspil_csrf' };
}

export function cookieOptions(config: Config) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: config.https };
}

/**
 * Who is asking: a bearer token for /api, a session cookie for pages (a bearer token on a page, or
 * a cookie on the API, counts for nothing). Both are looked up in the database on every request, so
 * a sign-out or a revocation committed by any process holds from the next request on. Which of the
 * two applies, and whether a page is public, is decided on the decoded path (request-path.ts).
 * Signed-out requests to anything but the public pages get 401 (API) or a redirect to the login
 * page; before the first user exists, every page leads to setup. Unsafe page requests must carry
 * the CSRF token and must not come from another site. A user whose password an admin has reset
 * reaches only the change-password page and sign-out until they have chosen a new one; their API
 * keys are not affected (a key is a credential of its own, revoked on its own).
 */
export const authPlugin = fp(
  async (app, opts: { config: Config }) => {
    const { config } = opts;
    const names = cookieNames(config);
    const accounts = app.services.accounts;

    app.decorateRequest('session', null);
    app.decorateRequest('csrfToken', '');

    const deny = (request: FastifyRequest, reply: FastifyReply, error: AppError) => {
      if (wantsJson(request)) throw error;
      if (request.headers['hx-request'] === 'true') {
        reply.header('HX-Redirect', '/login');
        throw error;
      }
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
      return reply.redirect(`/login${next}`, 303);
    };

    app.addHook('onRequest', async (request, reply) => {
      request.principal = anonymous;
      const path = requestPath(request);

      if (wantsJson(request)) {
        if (PUBLIC_API.test(path)) return;
        const header = request.headers.authorization;
        const m = typeof header === 'string' ? /^Bearer\s+(\S{10,200})$/i.exec(header.trim()) : null;
        const principal = m?.[1] ? await accounts.resolveApiToken(m[1]) : undefined;
        if (principal) {
          request.principal = principal;
          return;
        }
        // A session counts for nothing on the API; one whose password must change is told why.
        const cookie = request.cookies[names.session];
        if (cookie && (await accounts.resolveSession(cookie))?.mustChangePassword) {
          throw new AppError('PASSWORD_CHANGE_REQUIRED', 403, 'account.password.mustChange');
        }
        reply.header('WWW-Authenticate', 'Bearer realm="samspil"');
        throw new AppError('UNAUTHENTICATED', 401, 'error.unauthenticated');
      }

      const token = request.cookies[names.session];
      const signedIn = token ? await accounts.resolveSession(token) : undefined;
      if (signedIn) {
        request.principal = signedIn.principal;
        request.session = {
          id: signedIn.sessionId,
          csrfToken: signedIn.csrfToken,
          mustChangePassword: signedIn.mustChangePassword,
        };
        request.csrfToken = signedIn.csrfToken;
        if (!signedIn.mustChangePassword) return;
        if ([...PUBLIC, ...WHILE_PASSWORD_TEMPORARY].some((r) => r.test(path))) return;
        if (request.headers['hx-request'] === 'true') {
          reply.header('HX-Redirect', CHANGE_PASSWORD_PATH);
          throw new AppError('PASSWORD_CHANGE_REQUIRED', 403, 'account.password.mustChange');
        }
        return reply.redirect(CHANGE_PASSWORD_PATH, 303);
      }
      if (token) reply.clearCookie(names.session, cookieOptions(config));

      // Signed out: a pre-session CSRF token guards the login, setup and forgotten-password forms.
      const pre = request.cookies[names.csrf];
      if (pre && /^[\w-]{20,100}$/.test(pre)) request.csrfToken = pre;
      else if (/^\/(login|setup|password\/forgotten|password\/reset)$/.test(path) || APPLYING.test(path)) {
        request.csrfToken = newSecret();
        reply.setCookie(names.csrf, request.csrfToken, cookieOptions(config));
      }

      if (!(await accounts.hasUsers())) {
        if (SETUP_ALLOWED.some((r) => r.test(path))) return;
        return reply.redirect('/setup', 303);
      }
      if (PUBLIC.some((r) => r.test(path))) return;
      return deny(request, reply, new AppError('UNAUTHENTICATED', 401, 'error.unauthenticated'));
    });

    app.addHook('preHandler', async (request) => {
      if (!UNSAFE.has(request.method) || wantsJson(request) || UNSUBSCRIBE.test(requestPath(request))) return;
      if (request.headers['sec-fetch-site'] === 'cross-site') {
        throw new AppError('CSRF_REJECTED', 403, 'error.csrf');
      }
      const body = request.body as Record<string, unknown> | undefined;
      const sent = request.headers['x-csrf-token'] ?? body?._csrf;
      if (typeof sent !== 'string' || !request.csrfToken || !sameSecret(sent, request.csrfToken)) {
        throw new AppError('CSRF_REJECTED', 403, 'error.csrf');
      }
    });

    // Pages and API answers hold personal data: never cached. Static files are.
    app.addHook('onSend', async (request, reply) => {
      if (!requestPath(request).startsWith('/static/')) reply.header('Cache-Control', 'no-store');
    });
  },
  { name: 'auth', dependencies: ['@fastify/cookie', 'errors'] },
);
