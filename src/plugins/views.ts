import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isLocale, type MessageKey, translate } from '../i18n/index.ts';
import { danishDate } from '../lib/dates.ts';
import { formatDate, formatDateTime, formatNumber, groupName, type Locale } from '../lib/format.ts';
import { escapeHtml, latin1Templates } from '../lib/html.ts';
import { formatMoney } from '../lib/money.ts';
import { createReadCache } from '../lib/read-cache.ts';
import { writeTag } from '../lib/write-tags.ts';
import { takeFlash } from './flash.ts';
import { cutAt, joinPieces, type Pieces } from './kept-pieces.ts';
import { madeNow, PageRedirect, type PageView } from './page-answers.ts';

const viewsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

export interface ViewHelpers {
  locale: Locale;
  t: (key: MessageKey | string, params?: Record<string, string | number>) => string;
  money: (oere: number | bigint | string) => string;
  date: (d: Date | string | null | undefined) => string;
  dateTime: (d: Date | string | null | undefined) => string;
  number: (n: number) => string;
  /** A target group's name in the request's language. */
  groupName: (group: { nameDa: string; nameEn: string | null }) => string;
  /** The path and query of this request, for the language switch to return to. */
  currentUrl: string;
  isHtmx: boolean;
  /** Builds a query string from the given values, dropping empty ones. */
  query: (values: Record<string, unknown>) => string;
  /** The CSRF token every form carries as `_csrf` (and htmx as X-CSRF-Token). Kept content cannot read it. */
  csrf: string;
  /** Where a form's CSRF token goes: the token, or in kept content a stand-in replaced for each request. */
  formToken: string;
  /** The signed-in user, or null. Shared content cannot read it. */
  user: { id: number; name: string; role: string; municipalityCode: number | null } | null;
}

/** A template's data. A page (a template whose name does not start with `_`) has its title in it. */
export type PageData = Record<string, unknown>;
type Build<D extends PageData> = () => Promise<D | PageView<D> | PageRedirect>;

/** An htmx partial: a template whose file name starts with `_`. It has no layout, and so no title. */
type PartialName = `${string}/_${string}`;

export interface PageCache {
  /**
   * Whose the content is: `shared`, the same for everyone of one role, municipality and language
   * (it cannot read the user or the CSRF token: doing so throws), or `user`, the user's own.
   */
  for: 'shared' | 'user';
  /**
   * What the content depends on (lib/write-tags.ts): a write touching one of them drops it. Given as
   * a function, they are worked out from the data (a round's page depends on the round's municipality).
   */
  tags: readonly string[] | ((data: PageData) => readonly string[]);
  /**
   * Parts of the content made for each request and never kept: what changes far more often than the
   * page (a round's count of new applications, which any applicant's draft changes). The content
   * writes `it.fresh.<name>` where each goes (see freshPart).
   */
  fresh?: Record<string, FreshPart>;
}

/** A part made for each request inside kept content: a template and its data, or null for nothing. */
export interface FreshPart {
  args: (data: PageData) => unknown;
  part: (args: unknown) => Promise<{ template: string; data: PageData } | null>;
}

/**
 * A part made for each request: `args` picks what it needs from the page's data when the content is
 * built (kept with the content); `part` makes it from them for each request.
 */
export function freshPart<A>(
  args: (data: PageData) => A,
  part: (args: A) => Promise<{ template: string; data: PageData } | null>,
): FreshPart {
  return { args, part: part as FreshPart['part'] };
}

export interface PageOptions {
  /** The status code (200). */
  status?: number;
  /**
   * Keeps the rendered content (not the layout, which is rendered for each request with the user's
   * name, token and counts) per URL, language, role, municipality, htmx target and day, and per user
   * for `user`, until a write touches one of its tags, for at most PAGE_CACHE_TTL_MS. The data is
   * then given as a function, which runs only when the content is not at hand.
   */
  cache?: PageCache;
  /**
   * `public`: the layout for pages anyone may open (the public § 18 pages): no staff menu, and
   * nothing of a signed-in user's (name, token, counts, messages), so kept content stays the same for all.
   */
  layout?: 'staff' | 'public';
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
    /**
     * Renders a template with its data: a page inside the layout, titled `data.title`, or an htmx
     * partial (a template named `_…`) alone. The data may be given as a function, which may also
     * answer a redirect (pageRedirect) or a view made as the content is rendered (pageView,
     * page-answers.ts); with `cache`, it runs only when the content is not kept.
     */
    page(template: PartialName, data?: PageData | Build<PageData>, options?: PageOptions): Promise<FastifyReply>;
    page(
      template: string,
      data: (PageData & { title: string }) | Build<PageData & { title: string }>,
      options?: PageOptions,
    ): Promise<FastifyReply>;
  }
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

/** The helpers every template has, without anything of who asks (kept content gets these). */
type ContentHelpers = Omit<ViewHelpers, 'csrf' | 'formToken' | 'user'>;

function contentHelpers(request: FastifyRequest): ContentHelpers {
  const locale = request.locale ?? 'da';
  return {
    locale,
    t: (key, params) => translate(locale, key, params),
    money: (oere) => formatMoney(oere, locale),
    date: (d) => formatDate(d, locale),
    dateTime: (d) => formatDateTime(d, locale),
    number: (n) => formatNumber(n, locale),
    groupName: (g) => groupName(g, locale),
    currentUrl: request.url,
    isHtmx: request.headers['hx-request'] === 'true',
    query: buildQuery,
  };
}

function userOf(request: FastifyRequest): ViewHelpers['user'] {
  const principal = request.principal;
  return principal?.userId != null
    ? {
        id: principal.userId,
        name: principal.name ?? '',
        role: principal.role ?? 'viewer',
        municipalityCode: principal.municipalityCode,
      }
    : null;
}

function helpersFor(request: FastifyRequest): ViewHelpers {
  const token = request.csrfToken ?? '';
  return { ...contentHelpers(request), csrf: token, formToken: token, user: userOf(request) };
}

/** What kept content must not read, as properties that throw: on a prototype, so the data keeps fast properties. */
function forbidding(names: Record<string, string>): object {
  const prototype = {};
  for (const [name, why] of Object.entries(names))
    Object.defineProperty(prototype, name, {
      get() {
        throw new Error(`${name} cannot be read in ${why}`);
      },
    });
  return prototype;
}
const keptForUser = forbidding({ csrf: 'kept content (use formToken)' });
const keptForAll = forbidding({ csrf: 'kept content (use formToken)', user: 'shared content' });

/**
 * The data of kept content: the helpers with a stand-in for the form token, and neither the CSRF
 * token nor, unless the content is the user's own, the user. A template that reads one fails loudly.
 *
 * One object literal (`__proto__: x` as a key with its value sets the prototype): stored key by key,
 * a page's forty-odd keys made the object a dictionary, each `it.t` on a row a hash lookup.
 */
function keptContentData(
  request: FastifyRequest,
  data: PageData,
  formToken: string,
  whose: PageCache['for'],
): Record<string, unknown> {
  // The page's own data cannot bring them in either: it names what it shows, not who asks.
  for (const name of whose === 'shared' ? ['csrf', 'user'] : ['csrf'])
    if (Object.hasOwn(data, name)) throw new Error(`Kept ${whose} content cannot be given ${name}`);
  return whose === 'shared'
    ? { __proto__: keptForAll, ...contentHelpers(request), formToken, ...data }
    : { __proto__: keptForUser, ...contentHelpers(request), formToken, user: userOf(request), ...data };
}

/**
 * Rendered content, kept: the page's title (null for a partial, which has no layout) and its HTML in
 * UTF-8, cut where the form token goes.
 */
type KeptPage = { tags: readonly string[] } & (
  | ({ title: string | null; freshArgs: Record<string, unknown> } & Pieces)
  | { redirect: PageRedirect }
);

/** At most this many bytes of rendered content are kept. */
const PAGE_CACHE_MAX_BYTES = 24 * 1024 * 1024;

const isPartial = (template: string) => (template.split('/').pop() ?? '').startsWith('_');

function titleOf(template: string, data: PageData): string | null {
  if (isPartial(template)) return null;
  if (typeof data.title !== 'string') throw new Error(`The page ${template} has no title in its data`);
  return data.title;
}

export const viewsPlugin = fp(
  async (app, opts: { cache: boolean; pageCacheTtlMs: number; views?: string }) => {
    // Templates are rendered as written: their whitespace is kept, and compression makes up for it.
    const eta = new Eta({
      views: opts.views ?? viewsDir,
      cache: opts.cache,
      autoEscape: true,
      escapeFunction: escapeHtml,
      autoTrim: [false, 'nl'],
      plugins: [latin1Templates],
    });
    app.decorateRequest('locale', 'da');
    app.decorateRequest('t', function t(this: FastifyRequest, key: string, params?: Record<string, string | number>) {
      return translate(this.locale, key, params);
    });
    app.addHook('onRequest', async (request) => {
      request.locale = localeOf(request);
    });
    app.decorate('layoutData', [] as LayoutDataProvider[]);

    /** The layout around a page's content, with the user's own name, token and counts. */
    async function layout(
      request: FastifyRequest,
      title: string,
      body: string,
      variant: PageOptions['layout'] = 'staff',
    ): Promise<string> {
      if (variant === 'public') {
        // A public page shows nothing of whoever is signed in, and leaves their messages for their own pages.
        return eta.render('layout', {
          ...helpersFor(request),
          user: null,
          csrf: '',
          publicLayout: true,
          title,
          body,
          flash: [],
        });
      }
      // htmx requests swap a part of the page, so they skip the layout's data.
      const providers = request.headers['hx-request'] === 'true' ? [] : app.layoutData;
      const layoutData = Object.assign(
        {},
        ...(await Promise.all(providers.map((provide) => provide(request).catch(() => ({}))))),
      );
      // No template awaits anything: the synchronous renderer spares a promise per include.
      return eta.render('layout', { ...helpersFor(request), ...layoutData, title, body, flash: takeFlash(request) });
    }

    /**
     * What an htmx partial ends with: the success messages, swapped out of band into the layout's
     * status region. Rendered for each answer, never kept: a message is one user's.
     */
    function flashOutOfBand(request: FastifyRequest): string {
      if (request.headers['hx-request'] !== 'true') return '';
      const messages = takeFlash(request);
      return messages.length ? eta.render('partials/flash', { messages, oob: true }) : '';
    }

    // A stand-in for the form token in kept content, replaced by the user's own token for each
    // request, and one for the content in the layout. They are new in each process, so no text
    // anyone stores can hold them.
    const tokenStandIn = `csrf-${randomUUID()}`;
    const freshStandIn = `fresh-${randomUUID()}`;
    const contentStandIn = `content-${randomUUID()}`;
    const pages = createReadCache<KeptPage>(app.database.writes, {
      max: 1_000,
      ttlMs: opts.pageCacheTtlMs,
      weigh: (page) =>
        'redirect' in page ? 64 : page.parts.reduce((sum, part) => sum + part.length, page.title?.length ?? 0),
      maxWeight: PAGE_CACHE_MAX_BYTES,
    });

    async function keptPage(
      reply: FastifyReply,
      template: string,
      data: PageData | Build<PageData>,
      cache: PageCache,
      status: number,
      variant: PageOptions['layout'],
    ): Promise<FastifyReply> {
      const request = reply.request;
      const principal = request.principal;
      const key = [
        template,
        request.url,
        request.locale,
        principal?.role ?? '',
        principal?.municipalityCode ?? '',
        cache.for === 'user' ? `user ${principal?.userId ?? ''}` : '',
        request.headers['hx-request'] === 'true' ? `htmx ${request.headers['hx-target'] ?? ''}` : 'page',
        // Pages say what is overdue or due soon: nothing is kept across midnight.
        danishDate(),
      ].join('\u0000');
      const tagsOf = cache.tags;
      const page = await pages.get(
        key,
        (kept) => kept.tags,
        async () => {
          const built = madeNow(typeof data === 'function' ? await data() : data);
          if (built instanceof PageRedirect)
            return { redirect: built, tags: typeof tagsOf === 'function' ? [writeTag.anyMunicipality] : tagsOf };
          const tags = typeof tagsOf === 'function' ? tagsOf(built) : tagsOf;
          const standIns = new Map([[tokenStandIn, '']]);
          const fresh: Record<string, string> = {};
          const freshArgs: Record<string, unknown> = {};
          for (const [name, f] of Object.entries(cache.fresh ?? {})) {
            fresh[name] = `${freshStandIn}-${name}`;
            standIns.set(fresh[name], name);
            freshArgs[name] = f.args(built);
          }
          const html = eta.render(template, keptContentData(request, { ...built, fresh }, tokenStandIn, cache.for));
          // Kept as UTF-8, in pieces around the token and the fresh parts: encoding 40 KB of Danish
          // text for each request cost a fifth of a kept page's CPU.
          return { tags, title: titleOf(template, built), freshArgs, ...cutAt(html, standIns) };
        },
      );
      if ('redirect' in page) return reply.redirect(page.redirect.location, page.redirect.statusCode);
      const fill: Record<string, Buffer> = { '': Buffer.from(request.csrfToken ?? '') };
      for (const name of new Set(page.cuts.filter(Boolean))) {
        const made = await cache.fresh?.[name]?.part(page.freshArgs[name]);
        fill[name] = Buffer.from(made ? eta.render(made.template, { ...helpersFor(request), ...made.data }) : '');
      }
      const body = joinPieces(page, fill);
      if (page.title !== null) {
        const [head = '', tail = ''] = (await layout(request, page.title, contentStandIn, variant)).split(
          contentStandIn,
        );
        body.unshift(Buffer.from(head));
        body.push(Buffer.from(tail));
      } else body.push(Buffer.from(flashOutOfBand(request)));
      return reply.code(status).type('text/html; charset=utf-8').send(Buffer.concat(body));
    }

    app.decorateReply(
      'page',
      async function page(
        this: FastifyReply,
        template: string,
        data: PageData | Build<PageData> = {},
        options: PageOptions = {},
      ) {
        const status = options.status ?? 200;
        if (options.cache) return keptPage(this, template, data, options.cache, status, options.layout);
        const built = madeNow(typeof data === 'function' ? await data() : data);
        if (built instanceof PageRedirect) return this.redirect(built.location, built.statusCode);
        const title = titleOf(template, built);
        // A public page's content, like its layout, sees no signed-in user.
        const own = options.layout === 'public' ? { user: null, csrf: '', formToken: '' } : {};
        const content = eta.render(template, { ...helpersFor(this.request), ...own, ...built });
        const html =
          title === null
            ? content + flashOutOfBand(this.request)
            : await layout(this.request, title, content, options.layout);
        return this.code(status).type('text/html; charset=utf-8').send(html);
      },
    );
  },
  { name: 'views', dependencies: ['@fastify/cookie'] },
);
