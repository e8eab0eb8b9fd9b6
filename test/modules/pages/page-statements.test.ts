import { PgDialect } from 'drizzle-orm/pg-core';
import { PglitePreparedQuery } from 'drizzle-orm/pglite/session';
import { PostgresJsPreparedQuery } from 'drizzle-orm/postgres-js/session';
import t, { type Test } from 'tap';
import type { TestApp } from '../../helper.ts';
import { recordStatements } from '../../plans.ts';
import { setup } from './lantern-fixture.ts';

/**
 * What a page rendered anew sends to the database (issue 17): each statement costs the app a socket
 * write and the database a wake-up, more than most statements cost to run. Pages are rendered anew
 * here (PAGE_CACHE_TTL_MS=0); what is kept between requests (sessions aside: looked up on every
 * request; municipalities, target groups, navigation counts, a round's split) is loaded by a first
 * request, and the second one is counted. The mail sender's statements run on their own schedule and
 * are not the page's.
 */
t.test('the list pages, the round overview and the actor page send one statement for each part', async (t) => {
  const { h, coordinator, round, actor } = await setup(t, { PAGE_CACHE_TTL_MS: '0' });

  const sent = watchStatements(t, h);
  const statements = async (url: string, shows: RegExp, htmx?: string) => {
    const headers = htmx ? { 'hx-request': 'true', 'hx-target': htmx } : {};
    await coordinator.inject({ method: 'GET', url, headers });
    sent.start();
    const res = await coordinator.inject({ method: 'GET', url, headers });
    t.equal(res.statusCode, 200, url);
    t.match(res.body, shows, `${url} shows its rows`);
    return sent.statements();
  };

  // A page whose data is kept sends the session lookup alone, and builds no SQL for it.
  const floor = await statements('/target-groups', /Målgrupper/);
  t.equal(floor.length, 1, `the target groups: ${floor.length} statements\n${floor.join('\n')}`);
  t.match(floor[0], /from "sessions"/, 'the session lookup');
  t.equal(sent.built(), 0, 'no SQL built on the second request');

  // The session, the reports due (the longest list, as rows), and the home page's other lists, recent
  // changes and first steps in one statement, each built once for the process (six, each built for
  // the request, before).
  for (const items of ['', '?items=mine']) {
    const home = await statements(`/${items}`, /Senest ændret/);
    t.equal(home.length, 3, `the home page${items}: ${home.length} statements\n${home.join('\n')}`);
    t.equal(sent.built(), 0, `the home page${items}: its statement built once, not for this request`);
  }

  // The session, and then the grants with their totals and the municipality's rounds for the filter.
  const grants = await statements('/grants?year=2026&municipalityCode=101', /Natåbent/);
  t.equal(grants.length, 2, `the grant list: ${grants.length} statements\n${grants.join('\n')}`);
  t.equal(grants.filter((q) => /count\(\*\)/.test(q)).length, 1, 'its count and totals are in its list statement');
  t.ok(
    grants.some(
      (q) => /count\(\*\)/.test(q) && /from "grant_rounds"\s+where "grant_rounds"."municipality_code" =/.test(q),
    ),
    'the rounds of its menu read in its list statement',
  );
  t.ok(
    grants.some((q) => /count\(\*\)/.test(q) && /grants\.paid_ore/.test(q) && !/as (allocations|payments)\b/.test(q)),
    'the totals beside the page of grants with the sum paid of each, and no parts the page does not show',
  );
  t.notOk(
    grants.some((q) => /grant_payments/.test(q)),
    'the sums paid read off the grants (migration 0038), not looked up in their payments',
  );
  t.equal(sent.built(), 0, 'the grant list: its statement built once for its filters, not for this request');
  // Filters of a shape not asked for before: its statement built at its first use, then not again.
  const grantList = async (url: string) => {
    sent.start();
    const res = await coordinator.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    return sent.built();
  };
  t.equal(await grantList('/grants?year=2026&status=approved&q=nat+dag'), 1, 'new filters: their statement built once');
  t.equal(await grantList('/grants?year=2025&status=applied&q=aften+hus'), 0, 'other values: not built again');

  // The session, and the page of actors with their count.
  for (const htmx of [undefined, 'actor-results']) {
    const actors = await statements('/actors?q=Lanternen&municipalityCode=101', /Foreningen Lanternen/, htmx);
    t.equal(
      actors.length,
      2,
      `the actor list${htmx ? ' (htmx)' : ''}: ${actors.length} statements\n${actors.join('\n')}`,
    );
    t.equal(sent.built(), 0, `the actor list${htmx ? ' (htmx)' : ''}: its search built once, not for this request`);
    // The list shows no description, contact details or areas: its statement reads none of them.
    const page = actors.find((q) => /count\(\*\) over/.test(q)) ?? '';
    t.notMatch(
      page,
      /"description"|"email"|"phone"|array\(select (am\.municipality_code|atg\.target_group_id)/,
      `the actor list${htmx ? ' (htmx)' : ''}: only the columns it shows\n${page.slice(0, 400)}`,
    );
  }

  // The session, the agreements with their count and their parts, and their actors' names.
  const agreements = await statements('/agreements', /Lanterneaftalen/);
  t.equal(agreements.length, 3, `the agreement list: ${agreements.length} statements\n${agreements.join('\n')}`);
  t.ok(
    agreements.some((q) => /count\(\*\) over/.test(q) && /from "agreement_actors"/.test(q)),
    'the page of agreements read with their parts',
  );

  // The session; the agreement with its parts (one statement); its page of meetings with their action
  // items and the one planned next (one statement); the municipality's users, who name the owners;
  // its actors' grants.
  const listed = await coordinator.inject({ method: 'GET', url: '/api/v1/agreements?q=Lanterneaftalen' });
  const agreementId = (listed.json() as { items: { id: number }[] }).items[0]?.id;
  const agreementPage = await statements(`/agreements/${agreementId}`, /Lanterneaftalen/);
  t.equal(
    agreementPage.filter((q) => /from "agreement_actors"/.test(q)).length,
    1,
    `the agreement and its parts in one statement:\n${agreementPage.join('\n')}`,
  );
  t.ok(
    agreementPage.some((q) => /from "agreements"/.test(q) && /from "agreement_actors"/.test(q)),
    'the agreement read with its parts',
  );
  const meetingReads = agreementPage.filter((q) => /from "meetings" where|from "?action_items"?/.test(q));
  t.equal(meetingReads.length, 1, `its meetings in one statement:\n${meetingReads.join('\n')}`);
  t.match(meetingReads[0], /from action_items/, 'with their action items');
  t.match(meetingReads[0], /held_on is null/, 'and the meeting planned next');
  const shown = (await coordinator.inject({ method: 'GET', url: `/agreements/${agreementId}` })).body;
  t.match(shown, /Ring til lanternen/, 'the meeting shows its action item');
  t.notOk(
    agreementPage.some((q) => /from "users" where "users"."id" = any/.test(q)),
    'its owner, one of the municipality’s users, is named from their list, not looked up',
  );

  // The session, the round with its totals by status and its target groups and criteria (one
  // statement), and for its own municipality's users the count of new applications: its own name is
  // not looked up again.
  const overview = await statements(`/grant-rounds/${round.id}`, /Lanternepuljen/);
  t.equal(overview.length, 3, `the round overview: ${overview.length} statements\n${overview.join('\n')}`);
  t.equal(sent.built(), 0, 'the round overview: its statements built once, not for this request');
  t.ok(
    overview.some(
      (q) =>
        /from "grant_rounds" where "grant_rounds"."id" = \$1/.test(q) &&
        /from "grants" where "grants"."round_id" = "grant_rounds"."id"/.test(q) &&
        /from "grant_round_target_groups"/.test(q) &&
        /from "grant_round_criteria"/.test(q),
    ),
    `the round, its totals (by "=", which PostgreSQL plans once) and its groups and criteria in one statement:\n${overview.join('\n')}`,
  );

  // The session; the actor with its contacts, where it was merged into, who works with it (the
  // contact rule), its agreements as the page lists them and its outreach; its grants with their totals.
  const actorPage = await statements(`/actors/${actor.id}`, /Foreningen Lanternen/);
  t.equal(actorPage.length, 3, `the actor page: ${actorPage.length} statements\n${actorPage.join('\n')}`);
  t.ok(
    actorPage.some(
      (q) =>
        /from "actors" where "actors"."id" = \$\d+/.test(q) && /from "agreements"/.test(q) && /from "outreach"/.test(q),
    ),
    `the actor read with its agreements and its outreach:\n${actorPage.join('\n')}`,
  );
  t.equal(sent.built(), 0, 'the actor page: every statement built once, its grants too');
  t.notOk(
    actorPage.some((q) => /^select merged_into_id/.test(q.trim())),
    'where it was merged into is read with the actor',
  );
  // An actor's grants are few: their rounds are looked up grant by grant, by key. Joined, the generic
  // plan hashed every round in the country, for the order, the totals and who works with the actor.
  t.equal(
    actorPage.join('\n').match(/join "?grant_rounds"?/g)?.length,
    1,
    `the actor page joins the rounds to the page's grants only:\n${actorPage.join('\n')}`,
  );
  // Its agreements (read with the actor) without the parts the list of agreements reads for each
  // (their actors, groups, responsibilities, grants and last meeting) and without a count: the page
  // shows neither.
  const ofActor = actorPage.find((q) => /from "agreements"/.test(q) && /"agreement_actors"/.test(q)) ?? '';
  t.ok(ofActor, 'the actor page reads its agreements');
  t.notMatch(
    ofActor,
    /agreement_responsibilities|agreement_target_groups|agreement_grants|"meetings"|count\(\*\)/,
    `the actor page's agreements: their rows only\n${ofActor}`,
  );
});

/**
 * Watches what the app sends to the database outside a transaction (a transaction's statements go to
 * its own connection) and what drizzle builds for it, from start() on.
 */
function watchStatements(t: Test, h: TestApp) {
  const recorder = recordStatements(h.database);
  t.teardown(recorder.stop);
  // What drizzle builds: the SQL of the statements not built once for the process (db/prepared.ts).
  // Counted on the dialect's class, so that the database's own dialect and the one that sqlOnce
  // builds with (prepared.ts) both count: a statement built again for each request is seen either way.
  const prototype = PgDialect.prototype as unknown as { sqlToQuery: (...a: unknown[]) => unknown };
  const toQuery = prototype.sqlToQuery;
  let built = 0;
  prototype.sqlToQuery = function (this: unknown, ...a: unknown[]) {
    built++;
    return toQuery.apply(this, a);
  };
  t.teardown(() => {
    prototype.sqlToQuery = toQuery;
  });
  return {
    start() {
      recorder.sent.length = 0;
      built = 0;
    },
    /** The statements sent since start(), the mail sender's aside (they run on their own schedule). */
    statements: () => recorder.sent.map(([q]) => q).filter((q) => !/mail_outbox/.test(q)),
    built: () => built,
  };
}

t.test('a meeting logged with htmx: the answer does not read the agreement again', async (t) => {
  const { h, coordinator } = await setup(t, { PAGE_CACHE_TTL_MS: '0' });
  const sent = watchStatements(t, h);
  const listed = await coordinator.inject({ method: 'GET', url: '/api/v1/agreements?q=Lanterneaftalen' });
  const agreement = (listed.json() as { items: { id: number; version: number }[] }).items[0];
  const paced = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/agreements/${agreement?.id}`,
    payload: { version: agreement?.version, meetingIntervalMonths: 3 },
  });
  t.equal(paced.statusCode, 200, paced.body);
  const log = (heldOn: string) =>
    coordinator.inject({
      method: 'POST',
      url: `/agreements/${agreement?.id}/meetings`,
      headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: coordinator.csrf, heldOn }).toString(),
    });
  t.equal((await log('2026-03-02')).statusCode, 200, 'a first meeting logged');

  sent.start();
  const logged = await log('2026-04-10');
  t.equal(logged.statusCode, 200, logged.body);
  // Outside its transaction: the session; the page of meetings. The municipality's users, who may own
  // an action item, are kept until a user is written. (postgres.js starts a transaction with the
  // client's own `unsafe`.)
  const outside = sent.statements().filter((q) => !/^\s*begin\b/i.test(q));
  t.equal(outside.length, 2, `${outside.length} statements outside the transaction:\n${outside.join('\n')}`);
  t.notOk(
    outside.some((q) => /from "users" where/.test(q)),
    'the users are not read again after a meeting logged',
  );
  t.notOk(
    outside.some((q) => /from "agreement_actors"/.test(q)),
    'the agreement is not read again with its parts',
  );
  // Its pace is counted from the meeting just logged: three months after 10 April.
  t.match(logged.body, /<span id="next-meeting" hx-swap-oob="true">10\.07\.2026/, 'the next meeting due, from it');
  t.match(logged.body, /name="plannedOn"[^>]*value="2026-07-10"/, 'and proposed in the plan form');

  // A meeting logged before the last one held leaves the pace where it was.
  const earlier = await log('2026-03-20');
  t.match(earlier.body, /<span id="next-meeting" hx-swap-oob="true">10\.07\.2026/, 'still from 10 April');
  const page = await coordinator.inject({ method: 'GET', url: `/agreements/${agreement?.id}` });
  t.match(page.body, /<span id="next-meeting">10\.07\.2026/, 'as the agreement page says');
});

t.test('the users an action item may be given to: kept, and read again once a user is written', async (t) => {
  const { h, coordinator } = await setup(t, { PAGE_CACHE_TTL_MS: '0' });
  const listed = await coordinator.inject({ method: 'GET', url: '/api/v1/agreements?q=Lanterneaftalen' });
  const agreementId = (listed.json() as { items: { id: number }[] }).items[0]?.id;
  const owners = async () => {
    const page = await coordinator.inject({ method: 'GET', url: `/agreements/${agreementId}` });
    t.equal(page.statusCode, 200);
    const select = /<select[^>]*id="field-items-0-ownerUserId"[^>]*>([\s\S]*?)<\/select>/.exec(page.body)?.[1] ?? '';
    return [...select.matchAll(/<option value="(\d+)">([^<]*)<\/option>/g)].map((m) => m[2]);
  };
  const before = await owners();
  t.ok(before.includes('Test coordinator 101'), `the coordinator among them: ${before.join(', ')}`);

  // A colleague added: in the list at once (the account service's audit record names the user).
  const colleague = await h.as('finance', 101);
  t.same(await owners(), [...before, 'Test finance 101'].sort(), 'a new colleague listed');

  // The colleague deactivated: gone from the list.
  const admin = await h.as('admin', 101);
  const off = await admin.postForm(`/admin/users/${colleague.user.id}/deactivate`, { confirm: 'yes' });
  t.equal(off.statusCode, 303, off.body);
  t.notOk((await owners()).includes('Test finance 101'), 'a deactivated user is not offered');

  // Each municipality's own list: one changed leaves the other's as it was, read again or not.
  const agreementsService = h.app.services.agreements;
  const names = async (code: number) => (await agreementsService.users(code)).map((u) => u.name).sort();
  const elsewhere = await h.as('coordinator', 147);
  const copenhagen = await names(101);
  t.same(await names(147), ['Test coordinator 147']);
  const adminThere = await h.as('admin', 147);
  t.same(await names(147), ['Test admin 147', 'Test coordinator 147'], 'a user added there: listed there');
  const offThere = await adminThere.postForm(`/admin/users/${elsewhere.user.id}/deactivate`, { confirm: 'yes' });
  t.equal(offThere.statusCode, 303, offThere.body);
  t.same(await names(147), ['Test admin 147'], 'deactivated there: gone there');
  t.same(await names(101), copenhagen, 'and København’s list is København’s');
  t.notOk(
    (await owners()).some((n) => n?.endsWith('147')),
    'none of theirs offered here',
  );
});

/** Each statement drizzle runs from now on, with those still being read when it was sent. */
function watchReading(t: Test): { text: string; alongside: string[] }[] {
  const sent: { text: string; alongside: string[] }[] = [];
  const reading = new Set<string>();
  for (const prepared of [PglitePreparedQuery.prototype, PostgresJsPreparedQuery.prototype]) {
    const execute = prepared.execute;
    prepared.execute = async function (this: { queryString: string }, ...a: unknown[]) {
      const text = this.queryString;
      sent.push({ text, alongside: [...reading] });
      reading.add(text);
      try {
        return await (execute as (...x: unknown[]) => Promise<unknown>).apply(this, a);
      } finally {
        reading.delete(text);
      }
    } as typeof execute;
    t.teardown(() => {
      prepared.execute = execute;
    });
  }
  return sent;
}

t.test('statements that do not wait on each other are sent together', async (t) => {
  const { coordinator, actor } = await setup(t, { PAGE_CACHE_TTL_MS: '0' });
  const sent = watchReading(t);
  const read = async (url: string, shows: RegExp) => {
    await coordinator.inject({ method: 'GET', url });
    sent.length = 0;
    const res = await coordinator.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    t.match(res.body, shows, url);
    const texts = [...sent];
    return { texts, list: texts.map((s) => s.text).join('\n') };
  };

  // The actor page: the actor (with its agreements and outreach) and its grants, neither waiting on the other.
  const page = await read(`/actors/${actor.id}`, /Foreningen Lanternen/);
  const actorRead = page.texts.find((s) => /from "actors"/.test(s.text) && !/with totals/.test(s.text));
  const grantsRead = page.texts.find((s) => /with totals/.test(s.text));
  t.ok(actorRead && grantsRead, `the actor page reads the actor and its grants:\n${page.list}`);
  t.ok(
    grantsRead?.alongside.includes(actorRead?.text ?? '') || actorRead?.alongside.includes(grantsRead?.text ?? ''),
    'the actor page: its grants read while the actor was still being read',
  );
});
