import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { MessageKey } from '../i18n/index.ts';
import { sameSecret } from '../lib/secrets.ts';

/** A success message: a catalogue key under `flash.` and its parameters. */
export interface FlashMessage {
  key: Extract<MessageKey, `flash.${string}`>;
  params?: Record<string, string | number>;
}

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Says that something worked ("Aktøren »X« er gemt."). Shown on the page this answer renders,
     * or, after a redirect, on the next page the user sees: a short-lived cookie, signed with the
     * user's CSRF token, carries it there and is cleared once it is shown.
     */
    flash(key: FlashMessage['key'], params?: FlashMessage['params']): FastifyReply;
  }
  interface FastifyInstance {
    /** The name of the cookie that carries success messages across a redirect. */
    flashCookie: string;
  }
}

/** How long a message waits for its page: a redirect is followed at once. */
const FLASH_MAX_AGE_S = 60;
/** At most this many messages wait, each parameter cut to this length: the cookie stays small. */
const MAX_MESSAGES = 3;
const MAX_PARAM_LENGTH = 200;

const STATE = Symbol('flash');
interface FlashState {
  pending: FlashMessage[];
  /** Shown on this answer's page: the cookie is cleared. */
  shown: boolean;
}
type WithState = FastifyRequest & { [STATE]?: FlashState };

function stateOf(request: FastifyRequest): FlashState {
  const r = request as WithState;
  r[STATE] ??= { pending: [], shown: false };
  return r[STATE];
}

function flashCookieName(https: boolean): string {
  return https ? '__Host-samspil_flash' : 'samspil_flash';
}

const signature = (payload: string, key: string) =>
  createHmac('sha256', key).update(`flash:${payload}`).digest('base64url');

/** The messages as the cookie carries them: base64url JSON, a dot and its signature. */
function seal(messages: FlashMessage[], key: string): string {
  const payload = Buffer.from(JSON.stringify(messages.map((m) => [m.key, m.params ?? {}]))).toString('base64url');
  return `${payload}.${signature(payload, key)}`;
}

/** The messages in a cookie the same user's session signed; nothing for any other. */
function unseal(cookie: string | undefined, key: string): FlashMessage[] {
  if (!cookie || !key || cookie.length > 4096) return [];
  const [payload = '', sig = ''] = cookie.split('.');
  if (!payload || !sameSecret(sig, signature(payload, key))) return [];
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((m): FlashMessage[] =>
      Array.isArray(m) && typeof m[0] === 'string' && m[0].startsWith('flash.') && m[1] && typeof m[1] === 'object'
        ? [{ key: m[0] as FlashMessage['key'], params: m[1] as Record<string, string | number> }]
        : [],
    );
  } catch {
    return [];
  }
}

const trimmed = (params: FlashMessage['params']) =>
  params
    ? Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, MAX_PARAM_LENGTH) : v]),
      )
    : undefined;

/**
 * The messages to show on the page this request renders, in its language: those carried from the
 * previous answer and those given on this one. Reading them marks them shown. The layout (a full
 * page) and htmx partials call it; the page cache never keeps them (views.ts renders them outside
 * the kept content).
 */
export function takeFlash(request: FastifyRequest): string[] {
  const state = stateOf(request);
  const carried = request.server.hasDecorator('flashCookie')
    ? request.cookies?.[request.server.flashCookie]
    : undefined;
  const messages = [...unseal(carried, request.csrfToken), ...state.pending];
  if (!messages.length) return [];
  state.shown = true;
  state.pending = [];
  return messages.map((m) => request.t(m.key, m.params));
}

export const flashPlugin = fp(
  async (app, opts: { https: boolean }) => {
    const cookieName = flashCookieName(opts.https);
    app.decorate('flashCookie', cookieName);
    const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: opts.https };

    app.decorateReply('flash', function flash(this: FastifyReply, key: FlashMessage['key'], params?) {
      const state = stateOf(this.request);
      state.pending = [...state.pending, { key, params: trimmed(params) }].slice(-MAX_MESSAGES);
      return this;
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const state = (request as WithState)[STATE];
      const carried = request.cookies?.[cookieName];
      if (state?.shown) {
        if (carried) reply.clearCookie(cookieName, cookieOptions);
        return payload;
      }
      const redirect = reply.statusCode >= 300 && reply.statusCode < 400;
      if (state?.pending.length && redirect && request.csrfToken) {
        const messages = [...unseal(carried, request.csrfToken), ...state.pending].slice(-MAX_MESSAGES);
        reply.setCookie(cookieName, seal(messages, request.csrfToken), { ...cookieOptions, maxAge: FLASH_MAX_AGE_S });
      }
      return payload;
    });
  },
  { name: 'flash', dependencies: ['@fastify/cookie', 'auth'] },
);
