import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isLocale, type MessageKey, translate } from '../i18n/index.ts';
import { formatDate, formatDateTime, formatNumber, type Locale } from '../lib/format.ts';
import { formatMoney } from '../lib/money.ts';
import { createReadCache } from '../lib/read-cache.ts';

export const viewsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

export interface ViewHelpers {
  locale: Locale;
  t: (key: MessageKey | string, params?: Record<string, string | number>) => string;
  money: (oere: number | bigint) => string;
  date: (d: Date | string | null | undefined) => string;
  dateTime: (d: Date | string | null | undefined) => string;
  number: (n: number) => string;
  /** The path and query of this request, for the language switch to return to. */
  currentUrl: string;
  isHtmx: boolean;
  /** Builds a query string from the given values, dropping empty ones. */
  query: (values: Record<string, unknown>) => string;
  /** The CSRF token every form carries as `_csrf` (and htmx as X-CSRF-Token). */
  csrf: string;
  /** The signed-in user, or null. */
  user: { id: number; name: string; role: string; municipalityCode: number | null } | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale;
    /** Translates a catalogue key into the request's language. */
    t(key: string, params?: Record<string, string | number>): string;
  }
  interface FastifyInstance {
    /** Data every full page's layout gets, such as the counts in the navigation. */
    layoutData: LayoutDataProvider[];
  }
  interface FastifyReply {
    render(template: string, data?: Record<string, unknown>, statusCode?: number): Promise<FastifyReply>;
    /**
     * Renders a page whose content is the same for everyone who asks for the same URL with the same
     * role, municipality and language (a report), and reuses the rendered content until a write is
     * committed anywhere, for at most SHARED_PAGE_TTL_MS. `build` gives the template's data and runs
     * only when the content is not at hand. The template has no layout: the layout (with the user's
     * own name, CSRF token and counts) is rendered around it for each request, unless the template is
     * a partial for htmx. The content is rendered without the user's name, id or CSRF token, so it
     * cannot carry one user's to another.
     */
    renderShared(
      template: string,
      page: { title: string; partial?: boolean },
      build: () => Promise<Record<string, unknown>>,
    ): Promise<FastifyReply>;
  }
}

export type LayoutDataProvider = (request: FastifyRequest) => Promise<Record<string, unknown>>;

export function localeOf(request: FastifyRequest): Locale {
  const fromCookie = request.cookies?.lang;
  if (isLocale(fromCookie)) return fromCookie;
  const accept = request.headers['accept-language'];
  if (typeof accept === 'string' && /^en\b/i.test(accept.trim())) return 'en';
  return 'da';
}

export function buildQuery(values: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function helpersFor(request: FastifyRequest): ViewHelpers {
  const locale = request.locale ?? 'da';
  return {
    locale,
    t: (key, params) => translate(locale, key, params),
    money: (oere) => formatMoney(oere, locale),
    date: (d) => formatDate(d, locale),
    dateTime: (d) => formatDateTime(d, locale),
    number: (n) => formatNumber(n, locale),
    currentUrl: request.url,
    isHtmx: request.headers['hx-request'] === 'true',
    query: buildQuery,
    csrf: request.csrfToken ?? '',
    user:
      request.principal?.userId != null
        ? {
            id: request.principal.userId,
            name: request.principal.name ?? '',
            role: request.principal.role ?? 'viewer',
            municipalityCode: request.principal.municipalityCode,
          }
        : null,
  };
}

/** How long a shared page's content may be reused: as long as the reports it shows (REPORT_TTL_MS). */
export const SHARED_PAGE_TTL_MS = 10_000;

/** The helpers for content shared between users: no CSRF token, and of the user only the role and municipality. */
function sharedHelpersFor(request: FastifyRequest): ViewHelpers {
  const helpers = helpersFor(request);
  return {
    ...helpers,
    csrf: '',
    user: helpers.user
      ? { id: 0, name: '', role: helpers.user.role, municipalityCode: helpers.user.municipalityCode }
      : null,
  };
}

export const viewsPlugin = fp(
  async (app, opts: { cache: boolean }) => {
    const eta = new Eta({ views: viewsDir, cache: opts.cache, autoEscape: true, autoTrim: [false, 'nl'] });
    app.decorateRequest('locale', 'da');
    app.decorateRequest('t', function t(this: FastifyRequest, key: string, params?: Record<string, string | number>) {
      return translate(this.locale, key, params);
    });
    app.addHook('onRequest', async (request) => {
      request.locale = localeOf(request);
    });
    app.decorate('layoutData', [] as LayoutDataProvider[]);
    app.decorateReply(
      'render',
      async function render(
        this: FastifyReply,
        template: string,
        data: Record<string, unknown> = {},
        statusCode = 200,
      ) {
        // htmx partials have no layout, so they skip its data.
        const request = this.request;
        const providers = request.headers['hx-request'] === 'true' ? [] : this.server.layoutData;
        const layout = Object.assign(
          {},
          ...(await Promise.all(providers.map((provide) => provide(request).catch(() => ({}))))),
        );
        // No template awaits anything: the synchronous renderer spares a promise per include.
        const html = eta.render(template, { ...helpersFor(request), ...layout, ...data });
        return this.code(statusCode).type('text/html; charset=utf-8').send(html);
      },
    );
    const shared = createReadCache<string>(app.database.generation, { max: 100, ttlMs: SHARED_PAGE_TTL_MS });
    app.decorateReply(
      'renderShared',
      async function renderShared(
        this: FastifyReply,
        template: string,
        page: { title: string; partial?: boolean },
        build: () => Promise<Record<string, unknown>>,
      ) {
        const request = this.request;
        const htmx = request.headers['hx-request'] === 'true';
        const principal = request.principal;
        const key = [
          template,
          request.url,
          request.locale,
          principal?.role ?? '',
          principal?.municipalityCode ?? '',
          htmx ? `htmx ${request.headers['hx-target'] ?? ''}` : 'page',
        ].join('\u0000');
        const content = await shared.get(key, async () =>
          eta.render(template, { ...sharedHelpersFor(request), ...(await build()) }),
        );
        if (page.partial) return this.code(200).type('text/html; charset=utf-8').send(content);
        return this.render('shared-page', { title: page.title, content });
      },
    );
  },
  { name: 'views', dependencies: ['@fastify/cookie'] },
);
