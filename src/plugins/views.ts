import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isLocale, type MessageKey, translate } from '../i18n/index.ts';
import { danishDate } from '../lib/dates.ts';
import { formatDate, formatDateTime, formatNumber, type Locale } from '../lib/format.ts';
import { formatMoney } from '../lib/money.ts';
import { createReadCache } from '../lib/read-cache.ts';

export const viewsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

export interface ViewHelpers {
  locale: Locale;
  t: (key: MessageKey | string, params?: Record<string, string | number>) => string;
  money: (oere: number | bigint | string) => string;
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
     * committed anywhere, for at most PAGE_CACHE_TTL_MS. `build` gives the template's data and runs
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
    /**
     * Renders a page (a template with its layout, or an htmx partial) as render() does, and reuses
     * its rendered content on the same terms as renderShared: per URL, language, role, municipality,
     * htmx target and day (and per user with `perUser`), until a write is committed anywhere, for at
     * most PAGE_CACHE_TTL_MS. Only the layout around it is rendered for each request. The CSRF token
     * is put into the content's forms for each request; the content sees the user's id and name only
     * with `perUser`. `build` may answer a redirect (pageRedirect), which is reused the same way.
     */
    renderCached(
      template: string,
      options: { perUser?: boolean },
      build: () => Promise<Record<string, unknown> | PageRedirect>,
    ): Promise<FastifyReply>;
  }
}

/** What a cached page's build answers instead of data when the page lives elsewhere (a merged actor). */
export class PageRedirect {
  readonly location: string;
  readonly statusCode: 301 | 302 | 303 | 307 | 308;

  constructor(location: string, statusCode: PageRedirect['statusCode']) {
    this.location = location;
    this.statusCode = statusCode;
  }
}

export function pageRedirect(location: string, statusCode: PageRedirect['statusCode']): PageRedirect {
  return new PageRedirect(location, statusCode);
}

type LayoutDataProvider = (request: FastifyRequest) => Promise<Record<string, unknown>>;

function localeOf(request: FastifyRequest): Locale {
  const fromCookie = request.cookies?.lang;
  if (isLocale(fromCookie)) return fromCookie;
  const accept = request.headers['accept-language'];
  if (typeof accept === 'string' && /^en\b/i.test(accept.trim())) return 'en';
  return 'da';
}

function buildQuery(values: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function helpersFor(request: FastifyRequest): ViewHelpers {
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

/** The helpers for cached content: a stand-in for the CSRF token, and of the user only the role and municipality unless the content is the user's own. */
function cachedHelpersFor(request: FastifyRequest, csrfStandIn: string, perUser: boolean): ViewHelpers {
  const helpers = helpersFor(request);
  return {
    ...helpers,
    csrf: csrfStandIn,
    user:
      helpers.user && !perUser
        ? { id: 0, name: '', role: helpers.user.role, municipalityCode: helpers.user.municipalityCode }
        : helpers.user,
  };
}

/**
 * Rendered content, kept: the page's title (null for a partial, which has no layout) and its HTML in
 * UTF-8, cut where the CSRF token goes.
 */
type CachedPage = { title: string | null; parts: Buffer[] } | PageRedirect;

/** At most this many bytes of rendered content are kept. */
const PAGE_CACHE_MAX_BYTES = 24 * 1024 * 1024;

/**
 * The templates' indentation and blank lines, left out when a template is compiled: a tenth of a
 * page's bytes. Whitespace that ran over lines becomes one line break, which HTML reads as the same
 * one space. Right after a tag, where eta drops the line break (autoTrim 'nl') and the next line's
 * indentation used to be the space between the tag's output and what follows, one space stays. No
 * template has a <pre>, or a <textarea> whose own text runs over lines; what the data holds is not
 * touched.
 */
export function withoutIndentation(template: string): string {
  return template.replace(/(%>)?([ \t]*\n[ \t\n]*)/g, (_run, tag: string | undefined, space: string) => {
    if (!tag) return '\n';
    const left = space.startsWith('\n') ? space.slice(1) : space;
    return left ? '%> ' : '%>';
  });
}

/** The HTML in UTF-8 (one buffer of its own, not a slice of Node's shared pool), cut where the stand-in was. */
function utf8Pieces(html: string, standIn: string): Buffer[] {
  const whole = Buffer.allocUnsafeSlow(Buffer.byteLength(html));
  whole.write(html);
  const cut = Buffer.from(standIn);
  const pieces: Buffer[] = [];
  let from = 0;
  for (let at = whole.indexOf(cut); at !== -1; at = whole.indexOf(cut, from)) {
    pieces.push(whole.subarray(from, at));
    from = at + cut.length;
  }
  pieces.push(whole.subarray(from));
  return pieces;
}

export const viewsPlugin = fp(
  async (app, opts: { cache: boolean; pageCacheTtlMs: number }) => {
    const etaConfig = {
      views: viewsDir,
      cache: opts.cache,
      autoEscape: true,
      autoTrim: [false, 'nl'] as [false, 'nl'],
      plugins: [{ processTemplate: withoutIndentation }],
    };
    const eta = new Eta(etaConfig);
    app.decorateRequest('locale', 'da');
    app.decorateRequest('t', function t(this: FastifyRequest, key: string, params?: Record<string, string | number>) {
      return translate(this.locale, key, params);
    });
    app.addHook('onRequest', async (request) => {
      request.locale = localeOf(request);
    });
    app.decorate('layoutData', [] as LayoutDataProvider[]);
    /** Renders a template with its layout's data (unless the request is an htmx partial's). */
    async function renderHtml(request: FastifyRequest, template: string, data: Record<string, unknown>) {
      // htmx partials have no layout, so they skip its data.
      const providers = request.headers['hx-request'] === 'true' ? [] : app.layoutData;
      const layout = Object.assign(
        {},
        ...(await Promise.all(providers.map((provide) => provide(request).catch(() => ({}))))),
      );
      // No template awaits anything: the synchronous renderer spares a promise per include.
      return eta.render(template, { ...helpersFor(request), ...layout, ...data });
    }
    app.decorateReply(
      'render',
      async function render(
        this: FastifyReply,
        template: string,
        data: Record<string, unknown> = {},
        statusCode = 200,
      ) {
        const html = await renderHtml(this.request, template, data);
        return this.code(statusCode).type('text/html; charset=utf-8').send(html);
      },
    );
    // The same templates rendered without their layout: the layout is swapped for one that only
    // notes the page's title, so the content can be kept and the layout rendered for each request.
    const contentEta = new Eta(etaConfig);
    const layoutFile = join(viewsDir, 'layout.eta');
    const captureFile = join(viewsDir, 'partials', 'content-only.eta');
    const resolvePath = contentEta.resolvePath.bind(contentEta);
    contentEta.resolvePath = (path, options) => {
      const file = resolvePath(path, options);
      return file === layoutFile ? captureFile : file;
    };
    // A stand-in for the CSRF token in kept content, replaced by the user's own token for each
    // request, and one for the content in the layout. They are new in each process, so no text
    // anyone stores can hold them.
    const csrfStandIn = `csrf-${randomUUID()}`;
    const contentStandIn = `content-${randomUUID()}`;
    const pages = createReadCache<CachedPage>(app.database.generation, {
      max: 1_000,
      ttlMs: opts.pageCacheTtlMs,
      weigh: (page) =>
        page instanceof PageRedirect
          ? 64
          : page.parts.reduce((sum, part) => sum + part.length, page.title?.length ?? 0),
      maxWeight: PAGE_CACHE_MAX_BYTES,
    });

    async function cachedPage(
      reply: FastifyReply,
      template: string,
      options: { perUser?: boolean; title?: string; partial?: boolean },
      build: () => Promise<Record<string, unknown> | PageRedirect>,
    ): Promise<FastifyReply> {
      const request = reply.request;
      const htmx = request.headers['hx-request'] === 'true';
      const principal = request.principal;
      const key = [
        template,
        request.url,
        request.locale,
        principal?.role ?? '',
        principal?.municipalityCode ?? '',
        options.perUser ? `user ${principal?.userId ?? ''}` : '',
        htmx ? `htmx ${request.headers['hx-target'] ?? ''}` : 'page',
        // Pages say what is overdue or due soon: nothing is kept across midnight.
        danishDate(),
      ].join('\u0000');
      const page = await pages.get(key, async () => {
        const data = await build();
        if (data instanceof PageRedirect) return data;
        const capture: { title?: string } = {};
        const html = contentEta.render(template, {
          ...cachedHelpersFor(request, csrfStandIn, options.perUser === true),
          ...data,
          capture,
        });
        // Kept as UTF-8, in pieces around the token: encoding 40 KB of Danish text for each request
        // cost a fifth of a kept page's CPU.
        return {
          title: options.partial ? null : (options.title ?? capture.title ?? null),
          parts: utf8Pieces(html, csrfStandIn),
        };
      });
      if (page instanceof PageRedirect) return reply.redirect(page.location, page.statusCode);
      const token = Buffer.from(request.csrfToken ?? '');
      const body: Buffer[] = [];
      for (const part of page.parts) {
        if (body.length) body.push(token);
        body.push(part);
      }
      if (page.title !== null) {
        const [head = '', tail = ''] = (
          await renderHtml(request, 'shared-page', { title: page.title, content: contentStandIn })
        ).split(contentStandIn);
        body.unshift(Buffer.from(head));
        body.push(Buffer.from(tail));
      }
      return reply.code(200).type('text/html; charset=utf-8').send(Buffer.concat(body));
    }

    app.decorateReply(
      'renderShared',
      function renderShared(
        this: FastifyReply,
        template: string,
        page: { title: string; partial?: boolean },
        build: () => Promise<Record<string, unknown>>,
      ) {
        return cachedPage(this, template, page, build);
      },
    );
    app.decorateReply(
      'renderCached',
      function renderCached(
        this: FastifyReply,
        template: string,
        options: { perUser?: boolean },
        build: () => Promise<Record<string, unknown> | PageRedirect>,
      ) {
        return cachedPage(this, template, options, build);
      },
    );
  },
  { name: 'views', dependencies: ['@fastify/cookie'] },
);
