import type { FastifyRequest } from 'fastify';

/**
 * The request's path as the router reads it: without the query string, and with its percent
 * escapes decoded (`/%61pi/v1` is `/api/v1`), but with encoded reserved characters such as `%2F`
 * left as they are, as the router leaves them. Every decision made on the path (API or page,
 * public or not) is made on this, never on the raw URL, so no spelling of a path reaches a route
 * by one way in while being judged by another.
 */
export function requestPath(request: FastifyRequest): string {
  const raw = request.url.split(/[?#]/, 1)[0] || '/';
  try {
    return decodeURI(raw);
  } catch {
    // Malformed escapes: no route has them, so the raw path is as good as any.
    return raw;
  }
}

/**
 * Is this a request to the JSON API? The route the router chose says so when there is one (its
 * pattern, as registered); otherwise the decoded path does.
 */
export function isApiRequest(request: FastifyRequest): boolean {
  const path = request.routeOptions?.url ?? requestPath(request);
  return path === '/api' || path.startsWith('/api/');
}
