import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../../src/app.ts';
import { actorInput } from '../../factories.ts';
import { openTestDatabase, signedInClient, type TestApp, testConfig, writesHeard } from '../../helper.ts';
import { agreementWithItem, setup } from './lantern-fixture.ts';

/**
 * The actor list and page, the grant list, the round overview and the follow-up page keep their
 * rendered content (reply.renderCached) until a write is committed. These tests change rows behind
 * the app's back (plain SQL, which no write generation counts) to see what is reused, and then
 * write through the app to see that a write ends the reuse. What is one user's must stay theirs.
 */

const main = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';

/** Changes rows without the app: no write is counted, so nothing kept is dropped. */
async function behindTheBack(h: TestApp, actorId: number, roundId: number) {
  await h.database.db.execute(sql`update actors set name = 'Foreningen Lygten' where id = ${actorId}`);
  await h.database.db.execute(sql`update grant_rounds set name = 'Lygtepuljen' where id = ${roundId}`);
  await h.database.db.execute(sql`update action_items set text = 'Skriv til lygten'`);
}

t.test('each kept page is reused until a write is committed, and then read anew', async (t) => {
  const { h, coordinator, actor, round } = await setup(t);
  const pages = [
    { url: `/actors/${actor.id}`, before: /Foreningen Lanternen/, after: /Foreningen Lygten/ },
    { url: '/actors?q=Foreningen&municipalityCode=101', before: /Foreningen Lanternen/, after: /Foreningen Lygten/ },
    {
      url: '/actors?q=Foreningen&municipalityCode=101',
      htmx: 'actor-results',
      before: /Foreningen Lanternen/,
      after: /Foreningen Lygten/,
    },
    { url: '/grants?year=2026&municipalityCode=101&status=approved', before: /Lanternepuljen/, after: /Lygtepuljen/ },
    { url: `/grant-rounds/${round.id}`, before: /Lanternepuljen/, after: /Lygtepuljen/ },
    { url: '/', before: /Ring til lanternen/, after: /Skriv til lygten/ },
  ];
  const get = (url: string, htmx?: string) =>
    coordinator.inject({
      method: 'GET',
      url,
      headers: htmx ? { 'hx-request': 'true', 'hx-target': htmx } : {},
    });
  for (const page of pages) {
    const res = await get(page.url, page.htmx);
    t.equal(res.statusCode, 200, page.url);
    t.match(res.body, page.before, `${page.url}${page.htmx ? ' (htmx)' : ''} shows the rows`);
    t.equal(/<html/.test(res.body), !page.htmx, 'a page has its layout, a partial has none');
  }
  await behindTheBack(h, actor.id, round.id);
  for (const page of pages) {
    const res = await get(page.url, page.htmx);
    t.match(res.body, page.before, `${page.url}${page.htmx ? ' (htmx)' : ''} is reused while nothing is written`);
  }

  // Any committed write, here an actor of another municipality, ends the reuse of every page.
  const elsewhere = await h.as('coordinator', 751);
  const written = await elsewhere.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Aarhus Aftenskole', homeMunicipalityCode: 751, municipalityCodes: [751] }),
  });
  t.equal(written.statusCode, 201);
  for (const page of pages) {
    const res = await get(page.url, page.htmx);
    t.match(res.body, page.after, `${page.url}${page.htmx ? ' (htmx)' : ''} is read anew after a write`);
    t.notMatch(res.body, page.before);
  }
});

t.test('a kept page carries each user’s own token, name and counts, and nobody else’s', async (t) => {
  const { h, actor, round } = await setup(t);
  const first = await h.as('admin', 101);
  const second = await h.as('admin', 101);
  await writesHeard(h.database);
  for (const url of [`/actors/${actor.id}`, `/grant-rounds/${round.id}`]) {
    const a = await first.inject({ method: 'GET', url });
    const b = await second.inject({ method: 'GET', url });
    t.match(main(a.body), `name="_csrf" value="${first.csrf}"`, `${url}: the forms carry the first user’s token`);
    t.match(main(b.body), `name="_csrf" value="${second.csrf}"`, 'and the second user’s theirs');
    t.notOk(b.body.includes(first.csrf), 'not the first user’s');
    t.match(b.body, new RegExp(`"X-CSRF-Token": "${second.csrf}"`), 'htmx sends the second user’s own');
    t.equal(main(b.body).replaceAll(second.csrf, ''), main(a.body).replaceAll(first.csrf, ''), 'the same content');
    t.notMatch(main(b.body), /csrf-[0-9a-f]{8}-/, 'no stand-in is left');
  }

  // The follow-up page is each user's own: their action items, not a colleague's kept page.
  const owner = await h.as('coordinator', 101);
  const colleague = await h.as('coordinator', 101);
  await agreementWithItem(owner, actor.id, 'Fyrtårnsaftalen', 'Tænd fyret');
  await writesHeard(h.database);
  const mine = await owner.inject({ method: 'GET', url: '/' });
  const theirs = await colleague.inject({ method: 'GET', url: '/' });
  t.match(mine.body, /Tænd fyret/);
  t.notMatch(theirs.body, /Tænd fyret/, 'the colleague does not get the owner’s page');
  t.match(theirs.body, /Test coordinator 101/, 'and the layout has their own name');
  t.match(mine.body, /samspil-nav-count" aria-hidden="true">1</, 'the owner’s count');
  t.notMatch(theirs.body, /samspil-nav-count/, 'the colleague has nothing waiting');
});

t.test('a kept page is not shared across roles, municipalities or languages', async (t) => {
  const { h, actor } = await setup(t);
  const url = `/actors/${actor.id}`;
  const coordinator = await h.as('coordinator', 101);
  const viewer = await h.as('viewer', 101);
  const aarhus = await h.as('coordinator', 751);
  await writesHeard(h.database);

  const own = await coordinator.inject({ method: 'GET', url });
  t.match(own.body, /Mette Hansen/, 'the home municipality sees the contact person');
  t.match(own.body, new RegExp(`action="/actors/${actor.id}/archive"`), 'and may archive');
  const read = await viewer.inject({ method: 'GET', url });
  t.notMatch(read.body, /action="\/actors\/\d+\/archive"/, 'a viewer does not get the coordinator’s buttons');
  const foreign = await aarhus.inject({ method: 'GET', url });
  t.equal(foreign.statusCode, 200);
  t.notMatch(foreign.body, /Mette Hansen/, 'another municipality does not get the contact person from a kept page');
  t.notMatch(foreign.body, /action="\/actors\/\d+\/archive"/);
  const english = await coordinator.inject({
    method: 'GET',
    url,
    headers: { cookie: `${coordinator.cookie}; lang=en` },
  });
  t.match(english.body, /<html lang="en">/);
  t.notMatch(main(english.body), /Kontaktpersoner/, 'English content, not the Danish kept before it');
});

t.test('a merged actor’s page is sent on to the actor it became, kept or not', async (t) => {
  const { h, actor } = await setup(t);
  const other = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Lanternen Nord', cvr: undefined, municipalityCodes: [101], contacts: [] }),
    })
  ).json() as { id: number };
  t.equal((await h.inject({ method: 'GET', url: `/actors/${other.id}` })).statusCode, 200);
  const merged = await h.inject({
    method: 'POST',
    url: '/api/v1/actors/merge',
    payload: { survivorId: actor.id, mergedIds: [other.id] },
  });
  t.equal(merged.statusCode, 200, merged.body);
  for (let i = 0; i < 2; i++) {
    const res = await h.inject({ method: 'GET', url: `/actors/${other.id}` });
    t.equal(res.statusCode, 308);
    t.equal(res.headers.location, `/actors/${actor.id}`);
  }
});

t.test('with PAGE_CACHE_TTL_MS=0 every page is rendered anew', async (t) => {
  const database = await openTestDatabase(t);
  const app = await buildApp(testConfig({ PAGE_CACHE_TTL_MS: '0' }), { database, logger: false });
  t.teardown(() => app.close());
  const admin = await signedInClient(app, 'admin', 101);
  const actor = (
    await admin.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Foreningen Lanternen' }) })
  ).json() as { id: number };
  t.match((await admin.inject({ method: 'GET', url: `/actors/${actor.id}` })).body, /Foreningen Lanternen/);
  await database.db.execute(sql`update actors set name = 'Foreningen Lygten' where id = ${actor.id}`);
  t.match((await admin.inject({ method: 'GET', url: `/actors/${actor.id}` })).body, /Foreningen Lygten/);
});
