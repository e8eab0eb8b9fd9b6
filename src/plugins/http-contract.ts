import type { FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../lib/errors.ts';
import { isApiRequest, requestPath } from './request-path.ts';

/** A route's pattern as a regular expression over the decoded path: `:id` is one segment, `*` the rest. */
function patternOf(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+?' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** The methods the app answers on each route pattern, to tell 405 from 404. */
export class RouteMethods {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(route: RouteOptions): void {
    const entry = this.routes.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
    for (const m of [route.method].flat()) entry.methods.add(m.toUpperCase());
    // Fastify answers HEAD on every GET route.
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
    this.routes.set(route.url, entry);
  }

  /** The methods allowed on the path, sorted; empty when no route has it. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, methods: m } of this.routes.values()) {
      if (pattern.test(path)) for (const x of m) methods.add(x);
    }
    return [...methods].sort();
  }
}

/** Answers a known path asked with a method it does not offer: 405 with `Allow`, else undefined. */
export function methodNotAllowed(request: FastifyRequest, routes: RouteMethods): AppError | undefined {
  const allowed = routes.allowed(requestPath(request));
  if (allowed.length === 0 || allowed.includes(request.method)) return undefined;
  return new AppError('METHOD_NOT_ALLOWED', 405, 'error.methodNotAllowed', { details: { allow: allowed.join(', ') } });
}

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/** The media type of the request's body, lower case, without parameters. */
const mediaType = (request: FastifyRequest) =>
  (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * What the API promises beyond each route's schema: a body of a media type the operation does not
 * read is refused with 415 before it is parsed (a form or plain text is never read as if it were
 * the JSON), a page that takes no file refuses a multipart body unread, and every versioned
 * resource it answers with carries its version as an ETag.
 */
export const httpContractPlugin = fp(
  async (app) => {
    app.addHook('preParsing', async (request) => {
      if (!WITH_BODY.has(request.method) || !hasBody(request)) return;
      // Only a route that takes a file reads a multipart body: no other page buffers one.
      if (!isApiRequest(request)) {
        const takesFile = (request.routeOptions.config as { spoolUpload?: unknown } | undefined)?.spoolUpload;
        if (mediaType(request) === 'multipart/form-data' && !takesFile)
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'error.unsupportedMediaType');
        return;
      }
      const consumes = (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes;
      if (!(consumes ?? ['application/json']).includes(mediaType(request))) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'error.unsupportedMediaType');
      }
    });
    app.addHook('preSerialization', async (request, reply, payload) => {
      if (
        isApiRequest(request) &&
        reply.statusCode < 300 &&
        isObject(payload) &&
        Number.isInteger(payload.version) &&
        !reply.hasHeader('etag')
      ) {
        reply.header('etag', `"${payload.version}"`);
      }
      return payload;
    });
  },
  { name: 'http-contract' },
);
