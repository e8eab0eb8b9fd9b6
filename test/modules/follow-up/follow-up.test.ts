import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { addDays, addMonths } from '../../../src/lib/dates.ts';
import {
  agreementsDueSoon,
  agreementsWithMeetingsOverdue,
  openActionItems,
  reportsDueSoon,
} from '../../../src/modules/follow-up/follow-up.repository.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client } from '../../helper.ts';
import { explainSent, recordStatements } from '../../plans.ts';

async function setup(t: Test) {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const finance = await h.as('finance', 101);
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Café Klare', contacts: [] }) })
  ).json() as { id: number };
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  return { h, coordinator, finance, actor, groupId: groups[0]?.id ?? 0 };
}

async function awardedGrant(finance: Client, actorId: number, groupId: number, reportDueOn: string, title: string) {
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: `Pulje til ${title}`, budgetOre: 10_000_000 },
    })
  ).json();
  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId, title, requestedOre: 100_000 },
    })
  ).json();
  const approved = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: groupId },
  });
  const patched = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    payload: { version: approved.json().version, reportDueOn },
  });
  if (patched.statusCode !== 200) throw new Error(patched.body);
  return grant.id as number;
}

/** Three awarded grants whose reports are due in March 2026: B and C on the same day, A first. */
async function threeReportsDue(finance: Client, actorId: number, groupId: number) {
  for (const [due, title] of [
    ['2026-03-10', 'Rapport B'],
    ['2026-03-02', 'Rapport A'],
    ['2026-03-10', 'Rapport C'],
  ] as const)
    await awardedGrant(finance, actorId, groupId, due, title);
}

const agreement = async (client: Client, actorId: number, body: Record<string, unknown>) => {
  const res = await client.inject({
    method: 'POST',
    url: '/api/v1/agreements',
    payload: { kind: 'formal', actorIds: [actorId], status: 'active', ...body },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as { id: number };
};

t.test('the follow-up lists, with their windows counted in calendar days across month ends', async (t) => {
  const { h, coordinator, finance, actor, groupId } = await setup(t);
  await awardedGrant(finance, actor.id, groupId, '2026-03-29', 'Rapport sidst i marts');
  await awardedGrant(finance, actor.id, groupId, '2026-02-27', 'Rapport før månedsskiftet');
  await agreement(coordinator, actor.id, {
    title: 'Månedlig aftale',
    startsOn: '2026-01-31',
    meetingIntervalMonths: 1,
  });
  await agreement(coordinator, actor.id, { title: 'Aftale der udløber', startsOn: '2026-01-01', endsOn: '2026-04-28' });
  await agreement(coordinator, actor.id, {
    title: 'Aftale til revurdering',
    startsOn: '2026-01-01',
    reviewOn: '2026-04-28',
  });
  await agreement(coordinator, actor.id, {
    title: 'Kladde der udløber',
    startsOn: '2026-01-01',
    endsOn: '2026-03-01',
    status: 'draft',
  });

  const followUp = h.app.services.followUp;
  const view = (today: string) =>
    followUp.overview({ municipalityCode: 101, userId: coordinator.user.id, mine: false, today });
  const titles = (xs: { title: string }[]) => xs.map((x) => x.title).sort();

  // 27 February: due soon runs to 29 March (30 days), the agreements' window to 28 April (60 days).
  let v = await view('2026-02-27');
  t.same(titles(v.reports), ['Rapport før månedsskiftet', 'Rapport sidst i marts']);
  t.same(
    v.reports.map((r) => r.overdue),
    [false, false],
    'due today is not overdue',
  );
  t.same(titles(v.agreementsDue), ['Aftale der udløber', 'Aftale til revurdering'], 'drafts are left out');
  t.same(titles(v.meetingsOverdue), [], 'a monthly pace from 31 January is due on 28 February');

  v = await view('2026-02-26');
  t.same(titles(v.reports), ['Rapport før månedsskiftet'], '29 March is 31 days after 26 February');
  t.same(titles(v.agreementsDue), [], '28 April is 61 days after 26 February');

  v = await view('2026-02-28');
  t.equal(v.reports.find((r) => r.title === 'Rapport før månedsskiftet')?.overdue, true, 'overdue the day after');
  t.same(titles(v.meetingsOverdue), [], 'the meeting is due today, not overdue');

  v = await view('2026-03-01');
  t.same(titles(v.meetingsOverdue), ['Månedlig aftale'], 'overdue from 1 March');
  t.equal(v.meetingsOverdue[0]?.dueOn, '2026-02-28');

  // Logging a meeting on 31 March moves the next one to 30 April (the pace holds to month ends).
  const monthly = (await coordinator.inject({ method: 'GET', url: '/api/v1/agreements?q=M%C3%A5nedlig' })).json()
    .items[0];
  await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${monthly.id}/meetings`,
    payload: { heldOn: '2026-03-31', actionItems: [{ text: 'Ring til caféen', ownerUserId: coordinator.user.id }] },
  });
  v = await view('2026-04-30');
  t.same(titles(v.meetingsOverdue), [], 'due 30 April');
  v = await view('2026-05-01');
  t.same(titles(v.meetingsOverdue), ['Månedlig aftale']);
  t.equal(v.meetingsOverdue[0]?.dueOn, '2026-04-30');

  // The same windows over the daylight-saving change in October.
  await awardedGrant(finance, actor.id, groupId, '2026-10-25', 'Rapport på skiftedagen');
  v = await view('2026-09-25');
  t.ok(titles(v.reports).includes('Rapport på skiftedagen'), '25 October is 30 days after 25 September');
  v = await view('2026-09-24');
  t.notOk(titles(v.reports).includes('Rapport på skiftedagen'));
  v = await view('2026-10-26');
  t.equal(v.reports.find((r) => r.title === 'Rapport på skiftedagen')?.overdue, true);

  const counts = await followUp.counts(101, coordinator.user.id, '2026-05-01');
  t.match(counts, { meetings: 1, actionItems: 1 });
  t.equal(counts.total, counts.reports + counts.agreements + counts.meetings + counts.actionItems);
});

t.test('the home page lists what is waiting, links to it, and the navigation counts it', async (t) => {
  const { h, coordinator, actor } = await setup(t);
  const other = await h.as('coordinator', 101);
  const a = await agreement(coordinator, actor.id, { title: 'Aftale om natcafé', startsOn: '2026-01-01' });
  const meeting = (
    await coordinator.inject({
      method: 'POST',
      url: `/api/v1/agreements/${a.id}/meetings`,
      payload: {
        heldOn: '2026-02-01',
        actionItems: [
          { text: 'Mit eget punkt', ownerUserId: coordinator.user.id, dueOn: '2026-02-15' },
          { text: 'Kollegaens punkt', ownerUserId: other.user.id },
        ],
      },
    })
  ).json();

  const page = await coordinator.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200);
  t.match(page.body, /<h1>Opfølgning<\/h1>/);
  t.match(page.body, new RegExp(`href="/agreements/${a.id}#item-${meeting.actionItems[0].id}">Mit eget punkt</a>`));
  t.notMatch(page.body, /Kollegaens punkt/, 'your own items by default');
  t.match(page.body, /Overskredet/, 'an item past its due date is flagged');
  t.match(page.body, /samspil-nav-count" aria-hidden="true">1</, 'the navigation counts the waiting item');
  t.match(page.body, /\(1 at følge op\)/, 'and says so to a screen reader');
  t.match(page.body, /Aftale om natcafé/, 'the recent changes list the agreement');

  const all = await coordinator.inject({ method: 'GET', url: '/?items=all' });
  t.match(all.body, /Kollegaens punkt/);
  t.match(all.body, /Alle i kommunen<\/a>/);

  const elsewhere = await h.as('coordinator', 147);
  const theirs = await elsewhere.inject({ method: 'GET', url: '/?items=all' });
  t.notMatch(theirs.body, /Mit eget punkt/, 'another municipality sees none of it');
  t.notMatch(theirs.body, /Aftale om natcafé/);

  const partial = await coordinator.inject({
    method: 'GET',
    url: '/agreements',
    headers: { 'hx-request': 'true', 'hx-target': 'agreement-results' },
  });
  t.notMatch(partial.body, /samspil-nav-count/, 'htmx partials skip the layout and its counts');
});

t.test("the home page's lists in one statement are the lists the reminders read one by one", async (t) => {
  const { h, coordinator, finance, actor, groupId } = await setup(t);
  const other = await h.as('coordinator', 101);
  await threeReportsDue(finance, actor.id, groupId);
  await agreement(coordinator, actor.id, { title: 'Udløber sidst', startsOn: '2026-01-01', endsOn: '2026-04-20' });
  await agreement(coordinator, actor.id, { title: 'Revurderes først', startsOn: '2026-01-01', reviewOn: '2026-03-15' });
  const paced = await agreement(coordinator, actor.id, {
    title: 'Månedlige møder',
    startsOn: '2026-01-10',
    meetingIntervalMonths: 1,
  });
  await agreement(coordinator, actor.id, { title: 'Kvartalsmøder', startsOn: '2025-10-01', meetingIntervalMonths: 3 });
  const logged = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${paced.id}/meetings`,
    payload: {
      heldOn: '2026-01-20',
      actionItems: [
        { text: 'Uden frist', ownerUserId: coordinator.user.id },
        { text: 'Frist i marts', ownerUserId: coordinator.user.id, dueOn: '2026-03-05' },
        { text: 'Kollegaens', ownerUserId: other.user.id, dueOn: '2026-03-01' },
        { text: 'Hos caféen', ownerName: 'Café Klare', dueOn: '2026-02-20' },
      ],
    },
  });
  t.equal(logged.statusCode, 201, logged.body);

  const db = h.database.db;
  const today = '2026-03-01';
  const w = { today, reportsSoon: addDays(today, 30), agreementsAhead: addDays(today, 60) };
  for (const mine of [true, false]) {
    const v = await h.app.services.followUp.overview({
      municipalityCode: 101,
      userId: coordinator.user.id,
      mine,
      today,
    });
    const who = { mine, userId: coordinator.user.id, municipalityCode: 101 };
    const items = await openActionItems(db, who);
    t.strictSame(
      v.reports.map(({ overdue: _, ...r }) => r),
      await reportsDueSoon(db, 101, w),
      'the reports, in their order, with the same types',
    );
    t.strictSame(v.agreementsDue, await agreementsDueSoon(db, 101, w), 'the agreements due');
    t.strictSame(v.meetingsOverdue, await agreementsWithMeetingsOverdue(db, 101, w), 'the meetings overdue');
    t.strictSame(
      v.actionItems.map(({ overdue: _, ...i }) => i),
      items,
      mine ? "the user's own action items" : "the municipality's action items",
    );
    t.same(
      v.reports.map((r) => r.title),
      ['Rapport A', 'Rapport B', 'Rapport C'],
      'due first, then by id',
    );
    t.same(
      v.actionItems.map((i) => i.text),
      mine ? ['Frist i marts', 'Uden frist'] : ['Hos caféen', 'Kollegaens', 'Frist i marts', 'Uden frist'],
      'by due date, none last',
    );
  }
  const mine = await h.app.services.followUp.overview({
    municipalityCode: 101,
    userId: coordinator.user.id,
    mine: true,
    today,
  });
  t.same(
    mine.agreementsDue.map((a) => a.title),
    ['Revurderes først', 'Udløber sidst'],
    'the agreements by the first of their end and review',
  );
  t.same(
    mine.meetingsOverdue.map((a) => [a.title, a.dueOn]),
    [
      ['Kvartalsmøder', '2026-01-01'],
      ['Månedlige møder', '2026-02-20'],
    ],
    'the meetings overdue, the longest overdue first',
  );
});

t.test('the database and the code agree on the pace at every month end', async (t) => {
  const { h } = await setup(t);
  const samples = fc.sample(
    fc.tuple(
      fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2060-12-31T00:00:00Z'), noInvalidDate: true }),
      fc.integer({ min: 1, max: 36 }),
    ),
    { seed: 5, numRuns: 500 },
  );
  // Every month end of a leap year and a common year, and random days.
  const ends = ['2027-01-31', '2027-03-31', '2027-05-31', '2027-08-31', '2028-01-29', '2028-01-30', '2028-01-31'];
  const cases = [
    ...samples.map(([d, n]) => [d.toISOString().slice(0, 10), n] as const),
    ...ends.flatMap((d) => [1, 2, 3, 6, 12, 13].map((n) => [d, n] as const)),
  ];
  const rows = await h.database.rows<{ d: string; n: number; due: string }>(sql`
    select d::text as d, n, (d + make_interval(months => n))::date::text as due
    from unnest(${`{${cases.map((c) => c[0]).join(',')}}`}::date[], ${`{${cases.map((c) => c[1]).join(',')}}`}::int[]) as x(d, n)`);
  const mismatches = rows.filter((r) => addMonths(r.d, Number(r.n)) !== r.due);
  t.same(mismatches, [], `${rows.length} dates: PostgreSQL's month arithmetic equals addMonths`);
});

t.test('the reports awaited are read from their own index, not picked out of every grant of a round', async (t) => {
  const { h, finance, actor, groupId } = await setup(t);
  await awardedGrant(finance, actor.id, groupId, '2026-03-10', 'Rapport ventes');
  const { sent, stop } = recordStatements(h.database);
  t.teardown(stop);
  const today = '2026-03-01';
  const due = await reportsDueSoon(h.database.db, 101, {
    today,
    reportsSoon: addDays(today, 30),
    agreementsAhead: addDays(today, 60),
  });
  t.same(
    due.map((r) => r.title),
    ['Rapport ventes'],
    'the report awaited is listed',
  );
  const statement = sent.find(([text]) => /report_received_on is null/.test(text));
  if (!statement) throw new Error(`no statement of the reports due among:\n${sent.map(([s]) => s).join('\n')}`);
  // On the national data set PostgreSQL chose this index by itself (bench/PAGE-COSTS.md, session 44);
  // a test database's few grants are read fastest in a row, so the row-by-row reads are set aside here.
  const [plan] = await explainSent(
    h.database,
    statement,
    [sql`set local plan_cache_mode = force_generic_plan`, sql`set local enable_seqscan = off`],
    'format json, costs off',
  );
  const nodes: Record<string, unknown>[] = [];
  const walk = (node: Record<string, unknown>) => {
    nodes.push(node);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk(((typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: Record<string, unknown> }[])[0]?.Plan ?? {});
  const grants = nodes.filter((n) => n['Relation Name'] === 'grants');
  // An index scan names its index; a bitmap heap scan's index is its child's.
  const indexes = nodes
    .map((n) => n['Index Name'])
    .filter((name) => typeof name === 'string' && name.startsWith('grants_'));
  t.same(indexes, ['grants_reports_awaited_idx'], 'the grants are read through the index of reports awaited');
  t.notOk(
    grants.some((n) => /report_received_on|status/.test(String(n.Filter ?? ''))),
    'and none is read only to be dropped for its status or a report received',
  );
});

t.test('a list longer than the page shows is counted in full, and says that it shows the most pressing', async (t) => {
  const { h, coordinator, finance, actor, groupId } = await setup(t);
  const other = await h.as('coordinator', 101);
  const a = await agreement(coordinator, actor.id, { title: 'Mange handlepunkter', startsOn: '2026-01-01' });
  // 104 of the coordinator's own and one of a colleague's: more than the page's 25, and its old hundred.
  for (const [n, first] of [
    [50, 0],
    [50, 50],
    [4, 100],
  ] as const) {
    const items = Array.from({ length: n }, (_, i) => ({
      text: `Punkt ${first + i + 1}`,
      ownerUserId: coordinator.user.id,
    }));
    if (first === 100) items.push({ text: 'Kollegaens punkt', ownerUserId: other.user.id });
    const res = await coordinator.inject({
      method: 'POST',
      url: `/api/v1/agreements/${a.id}/meetings`,
      payload: { heldOn: '2026-02-01', actionItems: items },
    });
    t.equal(res.statusCode, 201, res.body);
  }
  const itemsSection = (body: string) => /<section aria-labelledby="h-items"[\s\S]*?<\/section>/.exec(body)?.[0] ?? '';
  const listed = (section: string) => section.match(/<li><a href="\/agreements\//g)?.length;
  const mine = itemsSection((await coordinator.inject({ method: 'GET', url: '/' })).body);
  t.match(mine, /<span class="badge">104<\/span>/, 'the badge counts all of the user’s own open items');
  t.equal(listed(mine), 25, 'the page lists the 25 most pressing');
  t.match(
    mine,
    /Her vises de 25 mest presserende af 104\. <a href="\/\?show=actionItems#h-items">Vis alle 104 åbne handlepunkter<\/a>/,
    'says that it shows a part, and links to the list whole',
  );
  t.match(mine, /Punkt 25<\/a>/);
  t.notMatch(mine, /Punkt 26<\/a>/, 'the first 25 by due date, then as recorded');
  const mineWhole = itemsSection((await coordinator.inject({ method: 'GET', url: '/?show=actionItems' })).body);
  t.equal(listed(mineWhole), 104, 'the list shown whole lists them all');
  t.notMatch(mineWhole, /mest presserende af/, 'and says nothing of a part');
  t.match(mineWhole, /<a href="\/#h-items">Vis kun de 25 mest presserende åbne handlepunkter<\/a>/, 'and links back');
  t.match(mineWhole, /href="\/\?items=all&amp;show=actionItems"/, 'the tabs keep the list whole');
  const all = itemsSection((await coordinator.inject({ method: 'GET', url: '/?items=all' })).body);
  t.match(all, /<span class="badge">105<\/span>/, 'all of the municipality’s, the colleague’s included');
  t.match(all, /Her vises de 25 mest presserende af 105\. <a href="\/\?items=all&amp;show=actionItems#h-items">/);
  const allWhole = itemsSection(
    (await coordinator.inject({ method: 'GET', url: '/?items=all&show=actionItems' })).body,
  );
  t.equal(listed(allWhole), 105);
  t.match(allWhole, /<a href="\/\?items=all#h-items">Vis kun de 25 mest presserende åbne handlepunkter<\/a>/);
  const english = itemsSection(
    (await coordinator.inject({ method: 'GET', url: '/?items=all', cookies: { lang: 'en' } })).body,
  );
  t.match(
    english,
    /Showing the 25 most pressing of 105\. <a [^>]+>Show all 105 open action items<\/a>/,
    'in English too',
  );
  const unknown = await coordinator.inject({ method: 'GET', url: '/?show=everything' });
  t.equal(unknown.statusCode, 200, 'a list the page does not have is ignored');
  t.equal(listed(itemsSection(unknown.body)), 25);

  // The other lists, with a smaller page: each counted in full, and a whole list left as it is.
  await threeReportsDue(finance, actor.id, groupId);
  for (const endsOn of ['2026-04-01', '2026-04-10', '2026-04-20'])
    await agreement(coordinator, actor.id, { title: `Udløber ${endsOn}`, startsOn: '2026-01-01', endsOn });
  for (const startsOn of ['2025-11-01', '2025-12-01', '2026-01-15', '2026-01-20'])
    await agreement(coordinator, actor.id, { title: `Møder fra ${startsOn}`, startsOn, meetingIntervalMonths: 1 });
  const overview = (limit: number, mine: boolean) =>
    h.app.services.followUp.overview({
      municipalityCode: 101,
      userId: coordinator.user.id,
      mine,
      today: '2026-03-01',
      limit,
    });
  const two = await overview(2, true);
  t.same(
    two.reports.map((r) => r.title),
    ['Rapport A', 'Rapport B'],
    'the two due first',
  );
  t.same(
    [two.agreementsDue.map((a) => a.title), two.meetingsOverdue.map((a) => a.title)],
    [
      ['Udløber 2026-04-01', 'Udløber 2026-04-10'],
      ['Møder fra 2025-11-01', 'Møder fra 2025-12-01'],
    ],
    'the agreements ending first, the meetings longest overdue',
  );
  t.same(two.totals, { reports: 3, agreementsDue: 3, meetingsOverdue: 4, actionItems: 104 }, 'and all of them counted');
  t.same((await overview(2, false)).totals.actionItems, 105, 'the municipality’s items counted by themselves');
  const oneWhole = await h.app.services.followUp.overview({
    municipalityCode: 101,
    userId: coordinator.user.id,
    mine: true,
    today: '2026-03-01',
    limit: 2,
    whole: 'meetingsOverdue',
  });
  t.same(
    [oneWhole.reports.length, oneWhole.meetingsOverdue.length, oneWhole.actionItems.length],
    [2, 4, 2],
    'a list shown whole is read whole, the others still cut short',
  );
  t.same(oneWhole.totals, two.totals, 'and counted the same');
  const whole = await overview(200, false);
  t.same(
    whole.totals,
    { reports: 3, agreementsDue: 3, meetingsOverdue: 4, actionItems: 105 },
    'lists the page shows whole are their own count',
  );
  t.equal(whole.actionItems.length, 105);
  const few = itemsSection((await other.inject({ method: 'GET', url: '/' })).body);
  t.match(few, /<span class="badge">1<\/span>/, 'a short list is counted as it is');
  t.notMatch(few, /mest presserende/, 'and says nothing of a part');

  // Past what a list shown whole reads (500): the link promises that many, and the list says it is a part.
  await h.database.db.execute(sql`insert into action_items (meeting_id, agreement_id, text, owner_user_id)
    select meeting_id, agreement_id, 'Endnu et punkt ' || n, owner_user_id
    from (select * from action_items where text = 'Punkt 1') i, generate_series(1, 400) n`);
  const many = itemsSection((await coordinator.inject({ method: 'GET', url: '/' })).body);
  t.match(
    many,
    /Her vises de 25 mest presserende af 504\. <a href="\/\?show=actionItems#h-items">Vis de 500 mest presserende åbne handlepunkter<\/a>/,
  );
  const most = itemsSection((await coordinator.inject({ method: 'GET', url: '/?show=actionItems' })).body);
  t.equal(listed(most), 500, 'a list shown whole reads 500 at most');
  t.match(most, /Her vises de 500 mest presserende af 504\./, 'and says so');
  t.match(most, /Vis kun de 25 mest presserende åbne handlepunkter/);
});
