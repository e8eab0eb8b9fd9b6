import type { LightMyRequestResponse } from 'fastify';
import type { Client } from './helper.ts';

/** The cookie pairs (name=value) an answer sets, cleared ones left out. */
function cookiesSet(res: LightMyRequestResponse): string[] {
  const header = res.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
  return lines.map((l) => l.split(';')[0] ?? '').filter((pair) => pair && !pair.endsWith('='));
}

/** Follows a form's redirect as a browser does, with the cookies the answer set: the page it leads to. */
export function followRedirect(client: Client, res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
  const location = String(res.headers.location ?? '');
  if (res.statusCode !== 303 || !location) throw new Error(`expected a 303, got ${res.statusCode}: ${res.body}`);
  const cookie = [client.cookie, ...cookiesSet(res)].join('; ');
  return client.inject({ method: 'GET', url: location.split('#')[0] ?? location, headers: { cookie } });
}

/** The text of the success messages in a page's status region (the layout's, or an htmx answer's). */
export function flashOf(html: string): string {
  const at = html.indexOf('<div id="flash"');
  if (at === -1) return '';
  const region =
    /^<div id="flash"[^>]*>\s*((?:<div class="alert alert-success"><div class="alert-body"><p class="alert-text">[^<]*<\/p><\/div><\/div>\s*)*)<\/div>/.exec(
      html.slice(at),
    );
  return [...(region?.[1] ?? '').matchAll(/<p class="alert-text">([^<]*)<\/p>/g)]
    .map((m) =>
      (m[1] ?? '')
        .replace(/&#34;|&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, '&'),
    )
    .join(' ');
}
