import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { actorInput } from '../factories.ts';
import { buildTestApp, type Client } from '../helper.ts';

/**
 * The route fuzz test, run in shards (routes-<n>.test.ts) so that no test file runs for minutes.
 * Every route, found in the source, gets FUZZ_RUNS seeded random requests (25 in `npm test`, 10,000 with
 * `npm run fuzz`): malformed bodies (JSON and forms), query strings and path parameters, huge values,
 * odd Unicode (lone surrogates, right-to-left marks, NUL, combining marks), duplicated parameters,
 * and missing or wrong CSRF tokens and credentials, as each role and as nobody. No answer may be a
 * 5xx, and no promise may be rejected unhandled.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);

function routesInSource(): { method: string; path: string }[] {
  const dir = fileURLToPath(new URL('../../src/modules/', import.meta.url));
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const found = new Map<string, { method: string; path: string }>();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/\bapp\.(get|post|put|patch|delete)\(\s*['"`]([^'"`]+)['"`]/g)) {
      const method = (m[1] as string).toUpperCase();
      found.set(`${method} ${m[2]}`, { method, path: m[2] as string });
    }
  }
  return [...found.values()].sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

const odd = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  'e\u0301',
  '💥',
  'æøå',
  '../../etc/passwd',
  '%00',
  '%',
  '%E0%A4%A',
  "'; drop table actors; --",
  '<script>alert(1)</script>',
  '=HYPERLINK("http://x")',
  ' ',
  '',
);
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  odd,
  fc.string({ minLength: 5000, maxLength: 20_000 }),
);
const number = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2_147_483_647, 2_147_483_648, Number.MAX_SAFE_INTEGER, 1e308),
  fc.double(),
);
const scalar = fc.oneof(text, number.map(String), fc.boolean().map(String), fc.constant('1'), fc.constant('2026'));
const param = fc.oneof(
  fc.integer({ min: 1, max: 5 }).map(String),
  scalar,
  fc.constantFrom('9999999999999999999999', '-1', '1.5', '0x10', 'NaN', '1e3'),
);
/** Names the app reads, and random ones. */
const KEYS = [
  'q',
  'page',
  'year',
  'yearFrom',
  'yearTo',
  'municipalityCode',
  'regionCode',
  'status',
  'targetGroupId',
  'actorId',
  'roundId',
  'id',
  'version',
  'name',
  'title',
  'kind',
  'people',
  'to',
  'week',
  'area',
  'expand',
  'threshold',
  'items',
  'heldOn',
  'plannedOn',
  'startsOn',
  'endsOn',
  'actorIds',
  'weekdays',
  'dates',
  'amount',
  'awarded',
  'email',
  'password',
  'role',
  'next',
  'back',
  'scope',
  'sort',
  'overdue',
  'lines',
  'responsibilities',
  'contacts',
  'intent',
  'done',
];
const key = fc.oneof(
  fc.constantFrom(...KEYS),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('a[b]', 'x[0][y]', '__proto__', 'constructor'),
);
const values = fc.dictionary(key, fc.oneof(scalar, fc.array(scalar, { maxLength: 4 })), { maxKeys: 8 });
const json = fc.oneof(
  values,
  fc.anything({ maxDepth: 3 }),
  fc.array(values, { maxLength: 3 }),
  fc.constant(actorInput({ name: 'Fuzz' }) as unknown as Record<string, unknown>),
);

type Auth = 'admin' | 'coordinator' | 'finance' | 'viewer' | 'anonymous' | 'garbageBearer' | 'garbageCookie';
type Csrf = 'valid' | 'missing' | 'wrong';
const request = fc.record({
  params: fc.array(param, { minLength: 3, maxLength: 3 }),
  query: values,
  duplicate: fc.option(fc.tuple(fc.constantFrom(...KEYS), scalar, scalar)),
  body: fc.oneof(
    json.map((v) => ({ type: 'json' as const, v })),
    values.map((v) => ({ type: 'form' as const, v })),
    text.map((v) => ({ type: 'raw' as const, v })),
  ),
  auth: fc.constantFrom<Auth>(
    'admin',
    'admin',
    'coordinator',
    'finance',
    'viewer',
    'anonymous',
    'garbageBearer',
    'garbageCookie',
  ),
  csrf: fc.constantFrom<Csrf>('valid', 'valid', 'missing', 'wrong'),
  htmx: fc.boolean(),
});

/** Like encodeURIComponent, but a lone surrogate is sent as raw (invalid) UTF-8 bytes instead of throwing. */
function encodePart(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return [...v]
      .map((c) => {
        try {
          return encodeURIComponent(c);
        } catch {
          return '%ED%A0%80';
        }
      })
      .join('');
  }
}

function encode(v: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v))
    for (const y of Array.isArray(x) ? x : [x]) parts.push(`${encodePart(k)}=${encodePart(String(y))}`);
  return parts.join('&');
}

/** Registers the test for every shards-th route, starting at the shard-th (0-based). */
export function fuzzRoutes(shard: number, shards: number) {
  t.test(`every route of shard ${shard + 1} of ${shards} survives ${RUNS} random requests`, async (t) => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    t.teardown(() => process.off('unhandledRejection', onRejection));

    const h = await buildTestApp(t);
    // FUZZ_ROUTES narrows the run to routes whose path matches (to re-run a finding).
    const only = process.env.FUZZ_ROUTES ? new RegExp(process.env.FUZZ_ROUTES) : undefined;
    const all = routesInSource();
    t.ok(all.length > 60, `${all.length} routes found in the source`);
    // Each route keeps its seed (its place among all routes), whichever shard or filter runs it.
    const routes = all
      .map((route, index) => ({ route, index }))
      .filter(({ route, index }) => index % shards === shard && (!only || only.test(route.path)));
    const failures: string[] = [];
    let requests = 0;
    const started = Date.now();
    const took: [string, number][] = [];
    // One signed-in client per role, replaced before a route when a fuzzed request has ended its
    // session, revoked its key, deactivated it or changed its role, so that no route runs blind.
    const roles = { admin: 101, coordinator: 101, finance: 101, viewer: 751 } as const;
    const clients: Partial<Record<keyof typeof roles, Client>> = {};
    let replaced = 0;
    const accounts = h.app.services.accounts;
    const intact = async (role: keyof typeof roles, client: Client | undefined) => {
      if (!client) return false;
      const session = await accounts.resolveSession(client.cookie.replace(/^samspil_session=/, ''));
      const key = await accounts.resolveApiToken(client.token);
      return [session?.principal, key].every((p) => p?.role === role && p.municipalityCode === roles[role]);
    };
    for (const { route, index } of routes) {
      const routeStarted = Date.now();
      for (const role of Object.keys(roles) as (keyof typeof roles)[]) {
        if (await intact(role, clients[role])) continue;
        if (clients[role]) replaced++;
        clients[role] = await h.as(role, roles[role]);
      }
      const outcome = await fc.check(
        fc.asyncProperty(request, async (r) => {
          let i = 0;
          const path = route.path.replace(/:\w+/g, () => encodePart(r.params[i++ % 3] ?? '1'));
          let qs = encode(r.query);
          if (r.duplicate) qs += `${qs ? '&' : ''}${encode({ [r.duplicate[0]]: [r.duplicate[1], r.duplicate[2]] })}`;
          const url = `${path}${qs ? `?${qs}` : ''}`;
          const client = r.auth in roles ? clients[r.auth as keyof typeof roles] : undefined;
          const headers: Record<string, string> = {};
          if (r.htmx) headers['hx-request'] = 'true';
          if (client) {
            if (url.startsWith('/api/')) headers.authorization = `Bearer ${client.token}`;
            else headers.cookie = client.cookie;
          } else if (r.auth === 'garbageBearer') headers.authorization = 'Bearer \u0000nonsense';
          else if (r.auth === 'garbageCookie') headers.cookie = 'samspil_session=%%%; lang=\ud800';
          const opts: InjectOptions = { method: route.method as InjectOptions['method'], url, headers };
          if (route.method !== 'GET') {
            const csrf = r.csrf === 'valid' ? client?.csrf : r.csrf === 'wrong' ? 'x'.repeat(43) : undefined;
            if (r.body.type === 'json') {
              headers['content-type'] = 'application/json';
              if (csrf) headers['x-csrf-token'] = csrf;
              opts.payload = JSON.stringify(r.body.v) ?? 'null';
            } else if (r.body.type === 'form') {
              headers['content-type'] = 'application/x-www-form-urlencoded';
              opts.payload = encode({ ...r.body.v, ...(csrf ? { _csrf: csrf } : {}) });
            } else {
              headers['content-type'] = r.body.v.length % 2 ? 'application/json' : 'application/x-www-form-urlencoded';
              opts.payload = r.body.v;
            }
          }
          requests += 1;
          const res = await h.app.inject(opts);
          if (res.statusCode >= 500) {
            failures.push(
              `${route.method} ${url.slice(0, 120)} [${r.auth}, csrf ${r.csrf}, body ${JSON.stringify(String(opts.payload ?? '')).slice(0, 300)}] → ${res.statusCode}: ${res.body.slice(0, 200)}`,
            );
            return false;
          }
          // The HTML we send holds nothing beyond Latin-1, whatever was typed (src/lib/html.ts).
          const beyond = String(res.headers['content-type']).startsWith('text/html')
            ? /[\u0100-\uffff]/.exec(res.body)
            : null;
          if (beyond) {
            const around = res.body.slice(Math.max(0, beyond.index - 80), beyond.index + 40);
            failures.push(
              `${route.method} ${url.slice(0, 120)} [${r.auth}, body ${JSON.stringify(String(opts.payload ?? '')).slice(0, 300)}] → ${res.statusCode}, HTML with a character beyond Latin-1: ${JSON.stringify(around)}`,
            );
            return false;
          }
          return true;
        }),
        { seed: SEED + index, numRuns: RUNS, endOnFailure: true },
      );
      if (outcome.failed && !failures.some((f) => f.startsWith(`${route.method} ${route.path.split(':')[0]}`)))
        failures.push(`${route.method} ${route.path}: ${String(outcome.errorInstance ?? 'a 5xx').slice(0, 300)}`);
      took.push([`${route.method} ${route.path}`, Date.now() - routeStarted]);
    }
    took.sort((a, b) => b[1] - a[1]);
    t.comment(
      `slowest routes: ${took
        .slice(0, 8)
        .map(([r, ms]) => `${r} ${(ms / 1000).toFixed(1)} s`)
        .join('; ')}`,
    );
    t.same(failures, [], 'no answer was a 5xx, and no HTML held a character beyond Latin-1');
    t.same(rejections, [], 'no unhandled rejections');
    t.comment(
      `${requests} requests over ${routes.length} routes in ${((Date.now() - started) / 1000).toFixed(1)} s; ${replaced} clients replaced`,
    );
  });
}
