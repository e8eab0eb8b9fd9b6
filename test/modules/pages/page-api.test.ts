import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import type { Principal } from '../../../src/lib/principal.ts';
import { tagsOfWrite, WriteClock, writeTag } from '../../../src/lib/write-tags.ts';
import { pageView } from '../../../src/plugins/page-answers.ts';
import { type PageCache, viewsPlugin } from '../../../src/plugins/views.ts';

/**
 * reply.page on templates of its own (test/fixtures/views): the layout around a page, partials alone,
 * the status, and what kept content may not read. The user and token come from request headers.
 */
async function pageApp(t: Test) {
  const app = Fastify({ logger: false });
  const writes = new WriteClock();
  app.decorate('database', { writes } as never);
  await app.register(cookie);
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('csrfToken', '');
  app.addHook('onRequest', async (request) => {
    const name = String(request.headers['x-user'] ?? '');
    request.principal = { userId: name.length, municipalityCode: 101, role: 'coordinator', name };
    request.csrfToken = String(request.headers['x-token'] ?? '');
  });
  await app.register(viewsPlugin, {
    cache: false,
    pageCacheTtlMs: 60_000,
    views: join(import.meta.dirname, '..', '..', 'fixtures', 'views'),
  });
  let builds = 0;
  // What the probe template's data was like: V8's test of fast properties, once natives syntax is allowed.
  setFlagsFromString('--allow-natives-syntax');
  const fast = new Function('a', 'return %HasFastProperties(a)') as (a: object) => boolean;
  const probed: boolean[] = [];
  const order: string[] = [];
  const probe = (it: object) => {
    probed.push(fast(it));
    order.push('rendered');
    return '';
  };
  app.get('/:template', async (request, reply) => {
    const { template } = request.params as { template: string };
    const { kept, status, view, keys, give } = request.query as {
      kept?: 'shared' | 'user';
      status?: string;
      view?: string;
      keys?: string;
      give?: string;
    };
    const data = async () => {
      builds++;
      // As many keys as a page's view model has (the grant list's some twenty, the reports' more).
      const more = Object.fromEntries(Array.from({ length: Number(keys ?? 0) }, (_, i) => [`part${i}`, i]));
      const given = give ? { [give]: 'med i data' } : {};
      const made = { title: 'Titlen', heading: `Overskrift ${builds}`, probe, ...more, ...given };
      if (!view) return made;
      const failing = request.headers['x-fail'] === 'view';
      return pageView(() => {
        if (failing) throw new Error('the view could not be made');
        order.push('made');
        queueMicrotask(() => order.push('a microtask'));
        return made;
      });
    };
    const cache: PageCache | undefined = kept ? { for: kept, tags: [writeTag.municipality(101)] } : undefined;
    return reply.page(template, data, { cache, status: status ? Number(status) : undefined });
  });
  await app.ready();
  t.teardown(() => app.close());
  const get = (url: string, user = 'Karen', token = `token-of-${user}`, more: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { 'x-user': user, 'x-token': token, ...more } });
  return { get, writes, probed, order };
}

t.test('a page is its template inside the layout, titled by its data; a partial is alone', async (t) => {
  const { get } = await pageApp(t);
  const page = await get('/form?status=422');
  t.equal(page.statusCode, 422, 'the status is an option');
  t.match(page.body, /<title>Titlen<\/title>/, 'the title comes from the data');
  t.match(page.body, /data-user="Karen" data-token="token-of-Karen"/, 'the layout has the user');
  t.match(page.body, /<main><h1>Overskrift 1<\/h1>/);
  t.match(page.body, /name="_csrf" value="token-of-Karen"/);
  const partial = await get('/_row');
  t.equal(partial.body.trim(), '<tr><td>Overskrift 2</td></tr>', 'a partial (_name) has no layout');
});

t.test('shared content cannot read the user or the token; its form token is each reader’s own', async (t) => {
  const { get } = await pageApp(t);
  const fails = async (url: string, message: RegExp, why: string) => {
    const res = await get(url);
    t.equal(res.statusCode, 500, why);
    t.match(res.json().message, message, why);
  };
  await fails('/reads-user?kept=shared', /user cannot be read in shared content/, 'a shared template reading the user');
  await fails('/reads-csrf?kept=shared', /csrf cannot be read in kept content/, 'and one reading the token');
  await fails('/reads-csrf?kept=user', /csrf cannot be read in kept content/, 'the token not in the user’s own either');
  const own = await get('/reads-user?kept=user');
  t.equal(own.statusCode, 200, 'the user’s own kept content may read the user');
  t.match(own.body, /Hej Karen/);
  t.equal((await get('/reads-user')).statusCode, 200, 'and so may a page not kept');
  await fails('/probe?kept=shared&give=user', /Kept shared content cannot be given user/, 'nor shared data a user');
  await fails('/probe?kept=user&give=csrf', /Kept user content cannot be given csrf/, 'nor the user’s own a token');
  t.equal((await get('/probe?kept=user&give=user')).statusCode, 200, 'the user’s own content may name a user');

  const first = await get('/form?kept=shared', 'Karen');
  const second = await get('/form?kept=shared', 'Peter');
  const heading = /Overskrift \d+/.exec(first.body)?.[0] ?? 'none';
  t.ok(second.body.includes(heading), 'the second reader gets the kept content');
  t.match(first.body, /value="token-of-Karen"/);
  t.match(second.body, /value="token-of-Peter"/, 'with the second reader’s token');
  t.notMatch(second.body, /token-of-Karen|Karen/, 'and nothing of the first reader');
});

t.test('the data a kept template reads keeps fast properties', async (t) => {
  const { get, probed } = await pageApp(t);
  for (const url of [
    '/probe?kept=shared',
    '/probe?kept=user',
    '/probe',
    '/probe?kept=shared&keys=30',
    '/probe?kept=user&keys=30',
    '/probe?keys=30',
  ]) {
    t.equal((await get(url)).statusCode, 200, url);
    t.equal(probed.pop(), true, `${url}: not a dictionary, each read a lookup`);
  }
});

t.test('a build may answer a view, made in the same turn as the page is rendered', async (t) => {
  const { get, order } = await pageApp(t);
  for (const url of ['/probe?view=1', '/probe?view=1&kept=shared', '/probe?view=1&kept=user']) {
    order.length = 0;
    const page = await get(url);
    t.equal(page.statusCode, 200, url);
    t.match(page.body, /<title>Titlen<\/title>[\s\S]*<p>Overskrift \d+<\/p>/, `${url}: the view's data, titled`);
    t.strictSame(order, ['made', 'rendered', 'a microtask'], `${url}: nothing else ran between making and rendering`);
  }
});

t.test('a view that fails fails its request as a failing build does, and nothing is kept', async (t) => {
  const { get } = await pageApp(t);
  for (const url of ['/probe?view=1&kept=shared', '/probe?view=1']) {
    const failed = await get(url, 'Karen', 'token-of-Karen', { 'x-fail': 'view' });
    t.equal(failed.statusCode, 500, `${url}: the error answers`);
    const next = await get(url);
    t.equal(next.statusCode, 200, `${url}: the next request builds the page anew`);
    t.match(next.body, /<p>Overskrift \d+<\/p>/);
  }
});

t.test('kept content is dropped by a write that touches its tags, not by others', async (t) => {
  const { get, writes } = await pageApp(t);
  t.match((await get('/form?kept=shared')).body, /Overskrift 1/);
  writes.touch(tagsOfWrite(751, 'grant'));
  t.match((await get('/form?kept=shared')).body, /Overskrift 1/, 'a write in 751 leaves 101’s content');
  writes.touch(tagsOfWrite(101, 'grant'));
  t.match((await get('/form?kept=shared')).body, /Overskrift 2/, 'a write in 101 drops it');
});

t.test('templates are rendered as written: whitespace in <pre> and <textarea> is kept', async (t) => {
  const { get } = await pageApp(t);
  const page = await get('/whitespace');
  t.match(page.body, '<pre>\n  indented\n      more\n</pre>');
  t.match(page.body, '<textarea name="notes">\nførste linje\n    anden linje\n</textarea>');
});
