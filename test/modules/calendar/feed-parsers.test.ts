import { sql } from 'drizzle-orm';
import ICAL from 'ical.js';
import ical from 'node-ical';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';

/**
 * The calendar feed as two independent readers see it: ical.js (Thunderbird's engine) and
 * node-ical. Each occurrence becomes "date time–time | summary", with the times read back in
 * Europe/Copenhagen from the instant the reader computed, so a reader that got the offset wrong
 * across a change of summer time shows a different hour.
 */
const WINDOW = { from: '2026-06-01', to: '2028-01-01' };

/** The date and HH:MM in Denmark at an instant ('sv-SE' writes 2027-03-16 10:00:00). */
const local = (at: Date) => {
  const [date = '', time = ''] = at.toLocaleString('sv-SE', { timeZone: 'Europe/Copenhagen' }).split(' ');
  return { date, time: time.slice(0, 5) };
};
const timed = (start: Date, end: Date, summary: string) => {
  const s = local(start);
  return `${s.date} ${s.time}–${local(end).time} | ${summary}`;
};

function readWithIcalJs(body: string): string[] {
  const cal = new ICAL.Component(ICAL.parse(body));
  const tz = cal.getFirstSubcomponent('vtimezone');
  if (tz) ICAL.TimezoneService.register(new ICAL.Timezone(tz));
  const out: string[] = [];
  for (const component of cal.getAllSubcomponents('vevent')) {
    const event = new ICAL.Event(component);
    const iterator = event.iterator();
    for (let next = iterator.next(); next && next.toString().slice(0, 10) < WINDOW.to; next = iterator.next()) {
      if (next.toString().slice(0, 10) < WINDOW.from) continue;
      const o = event.getOccurrenceDetails(next);
      out.push(
        next.isDate
          ? `${next.toString()} | ${event.summary}`
          : timed(o.startDate.toJSDate(), o.endDate.toJSDate(), event.summary),
      );
    }
  }
  return out.sort();
}

function readWithNodeIcal(body: string): string[] {
  const out: string[] = [];
  const pad = (n: number) => String(n).padStart(2, '0');
  for (const item of Object.values(ical.sync.parseICS(body))) {
    if (item?.type !== 'VEVENT') continue;
    const instances = ical.expandRecurringEvent(item, {
      from: new Date(`${WINDOW.from}T00:00:00Z`),
      to: new Date(`${WINDOW.to}T00:00:00Z`),
    });
    for (const i of instances) {
      const summary = typeof i.summary === 'string' ? i.summary : i.summary.val;
      // A date without a time is made at midnight of the process's zone: its own fields are the date.
      const day = `${i.start.getFullYear()}-${pad(i.start.getMonth() + 1)}-${pad(i.start.getDate())}`;
      out.push(i.isFullDay ? `${day} | ${summary}` : timed(i.start, i.end, summary));
    }
  }
  return out.sort();
}

async function feedOf(client: Client, h: TestApp, lang?: 'en') {
  const created = await client.inject({
    method: 'POST',
    url: '/account/calendar',
    payload: `_csrf=${encodeURIComponent(client.csrf)}`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: lang ? `${client.cookie}; lang=${lang}` : client.cookie,
    },
  });
  const url = new URL(/id="feed-url">([^<]+)</.exec(created.body)?.[1]?.replaceAll('&amp;', '&') ?? '');
  return { url, feed: await h.anonymous({ method: 'GET', url: `${url.pathname}${url.search}` }) };
}

/** København's events: outreach across the changes of summer time, an agreement's meetings, a grant's report. */
async function setup(h: TestApp) {
  const coordinator = await h.as('coordinator', 101);
  const finance = await h.as('finance', 101);
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Værestedet Mændenes Hjem' }) })
  ).json() as { id: number };
  const post = async (path: string, by: Client, payload: object) => {
    const res = await by.inject({ method: 'POST', url: path, payload });
    // Thrown, not asserted: this runs at the file's top level, where an assertion ends tap's root test.
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const outreach = (extra: object) =>
    post('/api/v1/outreach', coordinator, {
      actorId: actor.id,
      kind: 'casework',
      unit: 'Hjemløseteamet',
      startsAt: '10:00',
      endsAt: '12:00',
      ...extra,
    });
  // Weekly, Tuesdays and Thursdays, across the change to summer time (28 March 2027), with one
  // single date of its own and one that a Tuesday already holds.
  await outreach({
    weekdays: [2, 4],
    dates: ['2027-03-27', '2027-03-30'],
    periodStart: '2027-03-15',
    periodEnd: '2027-04-02',
  });
  // Weekly on Wednesdays across the change back to winter time (31 October 2027).
  await outreach({
    weekdays: [3],
    startsAt: '09:00',
    endsAt: '11:30',
    periodStart: '2027-10-18',
    periodEnd: '2027-11-05',
  });
  // Single dates only, one of them the day after summer time begins.
  await outreach({
    unit: 'Sygeplejersken',
    kind: 'health_check',
    weekdays: [],
    dates: ['2027-01-05', '2027-01-19', '2027-03-29'],
    startsAt: '13:00',
    endsAt: '14:15',
    periodStart: '2027-01-01',
    periodEnd: '2027-06-30',
  });
  // Stored before the rules refused it: Tuesdays in a period of Wednesday to Sunday. Never held,
  // so in no reader's calendar.
  await h.database.rows(sql`
    insert into outreach (municipality_code, actor_id, kind, unit, weekdays, starts_at, ends_at, period_start, period_end)
    values (101, ${actor.id}, 'other', 'Aldrig holdt', '{2}', '10:00', '11:00', '2027-03-03', '2027-03-07')`);
  const agreement = await post('/api/v1/agreements', coordinator, {
    title: 'Samarbejde om varmestuen; nat, og dag',
    actorIds: [actor.id],
    kind: 'informal',
    status: 'active',
    reviewOn: '2027-02-01',
    startsOn: '2026-02-01',
  });
  await post(`/api/v1/agreements/${agreement.id}/meetings`, coordinator, { plannedOn: '2027-01-12' });
  await post(`/api/v1/agreements/${agreement.id}/meetings`, coordinator, { heldOn: '2026-11-20' });
  const round = await post('/api/v1/grant-rounds', finance, { year: 2026, name: 'P', budgetOre: 1e7 });
  const grant = await post('/api/v1/grants', finance, {
    roundId: round.id,
    actorId: actor.id,
    title: 'Nattevagter',
    requestedOre: 100_000,
  });
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items;
  await post(`/api/v1/grants/${grant.id}/transitions`, finance, {
    to: 'approved',
    version: 1,
    awardedOre: 100_000,
    targetGroupId: groups[0].id,
  });
}

// One app for the file, its events set up once: a feed serves its user's municipality's events, so
// each test reads them through a feed of its own user's.
const h = await buildTestApp(t);
await setup(h);

t.test('ical.js and node-ical read the same occurrences from the feed, in Danish time', async (t) => {
  const coordinator = await h.as('coordinator', 101);
  const { url, feed } = await feedOf(coordinator, h);
  t.equal(feed.statusCode, 200);
  t.equal(url.search, '', 'a Danish user’s address has no language of its own');
  const team = 'Fremskudt indsats: Hjemløseteamet hos Værestedet Mændenes Hjem';
  const nurse = 'Fremskudt indsats: Sygeplejersken hos Værestedet Mændenes Hjem';
  const agreement = 'Samarbejde om varmestuen; nat, og dag';
  const expected = [
    `2026-11-20 | Statusmøde: ${agreement}`,
    `2027-01-05 13:00–14:15 | ${nurse}`,
    `2027-01-12 | Statusmøde: ${agreement} (planlagt)`,
    `2027-01-19 13:00–14:15 | ${nurse}`,
    `2027-02-01 | Revurdering af aftale: ${agreement}`,
    `2027-03-16 10:00–12:00 | ${team}`,
    `2027-03-18 10:00–12:00 | ${team}`,
    `2027-03-23 10:00–12:00 | ${team}`,
    `2027-03-25 10:00–12:00 | ${team}`,
    `2027-03-27 10:00–12:00 | ${team}`,
    `2027-03-29 13:00–14:15 | ${nurse}`,
    `2027-03-30 10:00–12:00 | ${team}`,
    `2027-04-01 10:00–12:00 | ${team}`,
    '2027-06-01 | Afrapportering: Nattevagter',
    `2027-10-20 09:00–11:30 | ${team}`,
    `2027-10-27 09:00–11:30 | ${team}`,
    `2027-11-03 09:00–11:30 | ${team}`,
  ];
  const byIcalJs = readWithIcalJs(feed.body);
  const byNodeIcal = readWithNodeIcal(feed.body);
  t.same(byIcalJs, expected, 'ical.js: every occurrence, once, at its Danish time');
  t.same(byNodeIcal, expected, 'node-ical: the same');
  t.notMatch(feed.body, /^RDATE/m, 'no RDATE, which the two read differently');
});

t.test('the feed is in its owner’s language and says how often to fetch it anew', async (t) => {
  const coordinator = await h.as('coordinator', 101);
  const { url, feed } = await feedOf(coordinator, h, 'en');
  t.equal(url.search, '?lang=en', 'the address made in English carries the language');
  t.equal(feed.statusCode, 200);
  t.equal(feed.headers['content-language'], 'en');
  const summaries = [...new Set(readWithIcalJs(feed.body).map((o) => o.split(' | ')[1]))].sort();
  t.same(summaries, [...new Set(readWithNodeIcal(feed.body).map((o) => o.split(' | ')[1]))].sort(), 'both readers');
  t.same(summaries, [
    'Agreement review: Samarbejde om varmestuen; nat, og dag',
    'Outreach: Hjemløseteamet at Værestedet Mændenes Hjem',
    'Outreach: Sygeplejersken at Værestedet Mændenes Hjem',
    'Report due: Nattevagter',
    'Status meeting: Samarbejde om varmestuen; nat, og dag',
    'Status meeting: Samarbejde om varmestuen; nat, og dag (planned)',
  ]);
  const cal = new ICAL.Component(ICAL.parse(feed.body));
  t.equal(String(cal.getFirstPropertyValue('refresh-interval')), 'PT1H', 'REFRESH-INTERVAL (RFC 7986)');
  t.match(feed.body, '\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n', 'typed as a duration, as RFC 7986 asks');
  t.equal(String(cal.getFirstPropertyValue('x-published-ttl')), 'PT1H', 'X-PUBLISHED-TTL (Outlook)');

  // The same feed without the language: Danish, as the address a Danish user gets.
  const danish = await h.anonymous({ method: 'GET', url: url.pathname });
  t.ok(readWithNodeIcal(danish.body).some((o) => o.endsWith('| Afrapportering: Nattevagter')));
  const page = await coordinator.inject({
    method: 'GET',
    url: '/account/calendar',
    headers: { cookie: `${coordinator.cookie}; lang=en` },
  });
  t.match(page.body, 'The events in the calendar are in English', 'the page says which language the feed gets');
});

t.test('an address under /calendar/ that is no feed’s answers 404, not the sign-in page', async (t) => {
  for (const path of [
    '/calendar/x.ics',
    '/calendar/not-a-real-token-at-all-0000.ics',
    '/calendar/not-a-real-token-at-all-0000',
    `/calendar/${'a'.repeat(130)}.ics`,
    '/calendar/abc%20def.ics',
    '/calendar/abc/def.ics',
    '/calendar/',
  ]) {
    const res = await h.anonymous({ method: 'GET', url: path });
    t.equal(res.statusCode, 404, `${path}: 404`);
    t.notOk(res.headers.location, `${path}: no redirect`);
  }
});
