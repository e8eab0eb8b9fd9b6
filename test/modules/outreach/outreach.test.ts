import { sql } from 'drizzle-orm';
import ICAL from 'ical.js';
import t, { type Test } from 'tap';
import { danishDate, isoWeek } from '../../../src/lib/dates.ts';
import { fold } from '../../../src/modules/calendar/ical.ts';
import { occurrences } from '../../../src/modules/outreach/outreach.service.ts';
import { actorInput, outreachInput as presence } from '../../factories.ts';
import { buildTestApp, type Client, readReferences } from '../../helper.ts';

async function setup(t: Test) {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Værestedet Mændenes Hjem' }) })
  ).json() as { id: number };
  return { h, coordinator, actor };
}

const post = (c: Client, body: unknown) =>
  c.inject({ method: 'POST', url: '/api/v1/outreach', payload: body as object });

t.test('outreach presence: created, checked, changed with versions, audited', async (t) => {
  const { h, coordinator, actor } = await setup(t);
  const res = await post(coordinator, presence(actor.id, { dates: ['2027-03-06'] }));
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), {
    municipalityCode: 101,
    weekdays: [2],
    dates: ['2027-03-06'],
    startsAt: '10:00',
    endsAt: '12:00',
  });
  const id = res.json().id;

  for (const [why, body, field] of [
    ['ends before it starts', presence(actor.id, { endsAt: '09:00' }), 'endsAt'],
    ['no weekday and no date', presence(actor.id, { weekdays: [] }), 'weekdays'],
    ['a weekday out of range', presence(actor.id, { weekdays: [8] }), 'weekdays.0'],
    ['a date outside the period', presence(actor.id, { dates: ['2027-06-01'] }), 'dates'],
    ['a period ending before it starts', presence(actor.id, { periodEnd: '2027-02-01' }), 'periodEnd'],
    ['a time that is not one', presence(actor.id, { startsAt: '25:00' }), 'startsAt'],
  ] as const) {
    const bad = await post(coordinator, body);
    t.equal(bad.statusCode, 400, why);
    t.ok(bad.json().fieldErrors?.[field], `${why}: on ${field}`);
  }
  t.equal((await post(coordinator, presence(999_999))).statusCode, 400, 'an unknown actor');
  const viewer = await h.as('viewer', 101);
  t.equal((await post(viewer, presence(actor.id))).statusCode, 403);
  const aarhus = await h.as('coordinator', 751);
  t.equal(
    (await post(aarhus, { ...presence(actor.id), municipalityCode: 101 })).statusCode,
    403,
    'not for another municipality',
  );
  t.equal((await post(aarhus, presence(actor.id))).statusCode, 201, 'but for its own, at any actor');

  const patched = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/outreach/${id}`,
    payload: { version: 1, periodEnd: '2027-03-31' },
  });
  t.equal(patched.statusCode, 200, patched.body);
  const stale = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/outreach/${id}`,
    payload: { version: 1, unit: 'x' },
  });
  t.equal(stale.statusCode, 409);
  const inverted = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/outreach/${id}`,
    payload: { version: 2, endsAt: '08:00' },
  });
  t.equal(inverted.statusCode, 400, 'a change is checked against the whole');
  const audit = await h.database.rows<{ action: string }>(
    sql`select action from audit_log where entity = 'outreach' and entity_id = ${String(id)} order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['create', 'update'],
  );
  const listed = await coordinator.inject({
    method: 'GET',
    url: '/api/v1/outreach?municipalityCode=101&week=2027-W10',
  });
  t.same(
    listed.json().items.map((o: { id: number }) => o.id),
    [id],
    'in week 10 of 2027 (Tuesday 9 March)',
  );
  const later = await coordinator.inject({ method: 'GET', url: '/api/v1/outreach?municipalityCode=101&week=2027-W15' });
  t.same(later.json(), { items: [], total: 0 }, 'not after its period ended');
});

t.test('occurrences: weekdays and dates within the period, across week 53 and a DST week', async (t) => {
  const o = {
    id: 1,
    municipalityCode: 101,
    actorId: 1,
    kind: 'casework' as const,
    unit: 'x',
    weekdays: [2, 4],
    dates: ['2027-01-02'],
    startsAt: '10:00',
    endsAt: '12:00',
    periodStart: '2026-12-29',
    periodEnd: '2027-01-07',
    note: null,
  };
  t.same(
    occurrences({ ...o, version: 1 }, '2026-12-28', '2027-01-03'),
    ['2026-12-29', '2026-12-31', '2027-01-02'],
    'week 53',
  );
  t.same(occurrences({ ...o, version: 1 }, '2027-01-04', '2027-01-10'), ['2027-01-05', '2027-01-07']);
  t.same(
    occurrences(
      { ...o, weekdays: [7], dates: [], periodStart: '2027-03-01', periodEnd: null, version: 1 },
      '2027-03-22',
      '2027-03-28',
    ),
    ['2027-03-28'],
    'the Sunday the clocks go forward',
  );
});

t.test('the weekly overview and the forms', async (t) => {
  const { coordinator, actor, h } = await setup(t);
  await post(coordinator, presence(actor.id, { weekdays: [2, 4], periodStart: '2026-12-01', periodEnd: null }));
  const week = await coordinator.inject({ method: 'GET', url: '/outreach?week=2026-W53' });
  t.equal(week.statusCode, 200);
  t.match(readReferences(week.body), /uge 53 \(28\.12\.2026 – 03\.01\.2027\)/);
  t.match(readReferences(week.body), /Tirsdag 29\.12\.2026<\/th>\s*<td>10:00–12:00<\/td>/);
  t.match(week.body, /Torsdag 31\.12\.2026/);
  t.match(week.body, /href="\/outreach\?week=2027-W01&amp;municipalityCode=101" rel="next"/);
  t.match(week.body, /href="\/outreach\?week=2026-W52&amp;municipalityCode=101" rel="prev"/);
  // A week that is no week and a municipality that is none: this week, in the user's own municipality.
  const lenient = await coordinator.inject({ method: 'GET', url: '/outreach?week=2026-W99&municipalityCode=abc' });
  t.equal(lenient.statusCode, 200);
  t.match(lenient.body, /href="\/outreach\?week=\d{4}-W\d{2}&amp;municipalityCode=101" rel="next"/);

  const form = await coordinator.inject({ method: 'GET', url: `/outreach/new?actorId=${actor.id}` });
  t.equal(form.statusCode, 200);
  t.match(form.body, new RegExp(`<option value="${actor.id}" selected>`));
  const bad = await coordinator.postForm('/outreach', {
    actorId: String(actor.id),
    kind: 'counselling',
    unit: 'Rådgivningen',
    startsAt: '14:00',
    endsAt: '13:00',
    periodStart: '2027-01-01',
    dates: '32.1.2027',
  });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, /Sluttiden skal ligge efter starttiden/);
  t.match(bad.body, /Skriv datoerne som 1\.12\.2026/);
  for (const dates of ['31.4.2027', '29.2.2027', '2027-02-30']) {
    const noSuchDay = await coordinator.postForm('/outreach', {
      actorId: String(actor.id),
      kind: 'counselling',
      unit: 'Rådgivningen',
      startsAt: '10:00',
      endsAt: '12:00',
      periodStart: '2027-01-01',
      dates,
    });
    t.equal(noSuchDay.statusCode, 422, `${dates} is no day`);
    t.match(noSuchDay.body, /Skriv datoerne som 1\.12\.2026/);
  }
  const ok = await coordinator.postForm('/outreach', {
    actorId: String(actor.id),
    kind: 'health_check',
    unit: 'Sygeplejersken',
    startsAt: '09:00',
    endsAt: '11:30',
    periodStart: '2027-01-01',
    dates: '5.1.2027, 2027-01-19',
  });
  t.equal(ok.statusCode, 303, ok.body);
  t.equal(ok.headers.location, '/outreach?week=2027-W01', 'to the week of its first date, 5 January 2027');
  const actorPage = await coordinator.inject({ method: 'GET', url: `/actors/${actor.id}` });
  t.match(actorPage.body, /Sundhedstjek: Sygeplejersken/, 'the actor page shows it');
  t.match(actorPage.body, /05\.01\.2027, 19\.01\.2027/);
  const viewer = await h.as('viewer', 101);
  const readOnly = await viewer.inject({ method: 'GET', url: '/outreach?week=2027-W02' });
  t.notMatch(readOnly.body, /outreach\/new/);
});

t.test('a week beyond the years shown: this week on the page, 400 from the API, never a 500', async (t) => {
  const { coordinator, actor } = await setup(t);
  await post(coordinator, presence(actor.id));
  const thisWeek = isoWeek(danishDate());
  for (const week of ['9999-W52', '9999-W53', '2101-W01', '1999-W52', '0000-W01', '2027-W53', '2026-W00']) {
    const page = await coordinator.inject({ method: 'GET', url: `/outreach?week=${week}` });
    t.equal(page.statusCode, 200, `${week}: the page`);
    t.match(page.body, `name="week" value="${thisWeek}"`, `${week}: shows this week, as its heading says`);
    const api = await coordinator.inject({ method: 'GET', url: `/api/v1/outreach?week=${week}` });
    t.equal(api.statusCode, 400, `${week}: the API refuses it`);
    t.match(api.json().fieldErrors?.week?.[0], /2027-W09/, `${week}: says how to write a week`);
  }
  const first = await coordinator.inject({ method: 'GET', url: '/outreach?week=2000-W01' });
  t.match(readReferences(first.body), 'uge 1 (03.01.2000 – 09.01.2000)');
  t.notMatch(first.body, 'rel="prev"', 'no link before the first week shown');
  t.match(first.body, 'href="/outreach?week=2000-W02&amp;municipalityCode=101" rel="next"');
  const last = await coordinator.inject({ method: 'GET', url: '/outreach?week=2100-W52' });
  t.match(readReferences(last.body), 'uge 52 (27.12.2100 – 02.01.2101)');
  t.notMatch(last.body, 'rel="next"', 'no link after the last week shown');
  t.match(last.body, 'href="/outreach?week=2100-W51&amp;municipalityCode=101" rel="prev"');
  const api = await coordinator.inject({ method: 'GET', url: '/api/v1/outreach?week=2027-W10' });
  t.equal(api.statusCode, 200);
  t.equal(api.json().items.length, 1, 'a week in range finds the presence held in it');
});

t.test('the calendar feed: a secret URL, standard iCalendar, revocable', async (t) => {
  const { h, coordinator, actor } = await setup(t);
  const finance = await h.as('finance', 101);
  const agreement = (
    await coordinator.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: {
        title: 'Aftale om natcafé; med komma, og semikolon',
        kind: 'formal',
        actorIds: [actor.id],
        startsOn: '2026-01-01',
        reviewOn: '2027-02-01',
        status: 'active',
      },
    })
  ).json();
  const meeting = (
    await coordinator.inject({
      method: 'POST',
      url: `/api/v1/agreements/${agreement.id}/meetings`,
      payload: { plannedOn: '2027-01-12' },
    })
  ).json();
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'P', budgetOre: 1e7 },
    })
  ).json();
  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId: actor.id, title: 'Nattevagter', requestedOre: 100_000 },
    })
  ).json();
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items;
  await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: groups[0].id },
  });
  const presenceRes = await post(coordinator, presence(actor.id));
  t.equal(presenceRes.statusCode, 201);
  // Another municipality's agreement stays out of 101's feed.
  const aarhus = await h.as('coordinator', 751);
  await aarhus.inject({
    method: 'POST',
    url: '/api/v1/agreements',
    payload: {
      title: 'Aarhus-aftale',
      kind: 'formal',
      actorIds: [actor.id],
      startsOn: '2026-01-01',
      reviewOn: '2027-01-15',
    },
  });

  const created = await coordinator.postForm('/account/calendar', {});
  t.equal(created.statusCode, 201);
  const url = /<code class="samspil-token" id="feed-url">([^<]+)<\/code>/.exec(created.body)?.[1] ?? '';
  t.match(url, /^http:\/\/localhost(:\d+)?\/calendar\/[\w-]{20,}\.ics$/, 'the URL is shown once');
  const path = new URL(url).pathname;
  const stored = await h.database.rows<{ token_hash: string }>(sql`select token_hash from calendar_feeds`);
  t.notOk(
    stored.some((r) => path.includes(r.token_hash)),
    'only a hash is stored',
  );

  const feed = await h.anonymous({ method: 'GET', url: path });
  t.equal(feed.statusCode, 200, 'no session needed');
  t.match(feed.headers['content-type'], /^text\/calendar; charset=utf-8/);
  t.ok(
    feed.body.split('\r\n').every((l) => Buffer.byteLength(l) <= 75),
    'lines folded at 75 octets',
  );
  const cal = new ICAL.Component(ICAL.parse(feed.body));
  const tz = cal.getFirstSubcomponent('vtimezone');
  t.ok(tz, 'a VTIMEZONE for Europe/Copenhagen');
  if (tz) ICAL.TimezoneService.register(new ICAL.Timezone(tz));
  const events = cal.getAllSubcomponents('vevent').map((e) => new ICAL.Event(e));
  const byUid = (uid: string) => events.find((e) => e.uid === uid);
  t.equal(byUid(`meeting-${meeting.id}@samspil`)?.startDate.toString(), '2027-01-12', 'the planned meeting, all day');
  t.equal(
    byUid(`meeting-${meeting.id}@samspil`)?.summary,
    'Statusmøde: Aftale om natcafé; med komma, og semikolon (planlagt)',
    'text survives escaping',
  );
  t.equal(byUid(`report-${grant.id}@samspil`)?.startDate.toString(), '2027-06-01', 'the report due date');
  t.equal(byUid(`review-${agreement.id}@samspil`)?.startDate.toString(), '2027-02-01', 'the review date');
  t.notOk(
    events.some((e) => e.summary.includes('Aarhus-aftale')),
    'only the user’s own municipality',
  );
  const out = byUid(`outreach-${presenceRes.json().id}@samspil`);
  t.ok(out?.isRecurring(), 'outreach recurs weekly');
  const iterator = out?.iterator();
  const starts: string[] = [];
  for (let next = iterator?.next(); next && starts.length < 20; next = iterator?.next()) {
    const utc = next.toJSDate();
    starts.push(`${next.toString().slice(0, 16)}|${utc.toISOString().slice(11, 16)}`);
  }
  t.same(
    starts,
    [
      '2027-03-02T10:00|09:00',
      '2027-03-09T10:00|09:00',
      '2027-03-16T10:00|09:00',
      '2027-03-23T10:00|09:00',
      '2027-03-30T10:00|08:00',
      '2027-04-06T10:00|08:00',
      '2027-04-13T10:00|08:00',
      '2027-04-20T10:00|08:00',
      '2027-04-27T10:00|08:00',
    ],
    'every Tuesday at 10:00 Danish time, across the change to summer time, until the period ends',
  );

  const renewed = await coordinator.postForm('/account/calendar', {});
  const newPath = new URL(/id="feed-url">([^<]+)</.exec(renewed.body)?.[1] ?? '').pathname;
  t.equal((await h.anonymous({ method: 'GET', url: path })).statusCode, 404, 'a new address retires the old');
  t.equal((await h.anonymous({ method: 'GET', url: newPath })).statusCode, 200);
  const revoked = await coordinator.postForm('/account/calendar/revoke', { confirm: 'yes' });
  t.equal(revoked.statusCode, 303);
  t.equal((await h.anonymous({ method: 'GET', url: newPath })).statusCode, 404, 'revoked');
  t.equal((await h.anonymous({ method: 'GET', url: '/calendar/not-a-real-token-at-all-0000.ics' })).statusCode, 404);
});

t.test('iCalendar lines fold at 75 octets without splitting a character', async (t) => {
  const line = `SUMMARY:${'æøå'.repeat(40)}`;
  const folded = fold(line).split('\r\n');
  t.ok(folded.every((l) => Buffer.byteLength(l) <= 75));
  t.equal(folded.map((l, i) => (i ? l.slice(1) : l)).join(''), line, 'unfolds to the same text');
});
