import { sql } from 'drizzle-orm';
import t from 'tap';
import { activeAgreement, actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client } from '../../helper.ts';

/** The meetings the section lists, in order, by the date in their heading. */
const listed = (html: string) =>
  [...html.matchAll(/<h3 id="meeting-\d+-h"[^>]*>Statusmøde (?:planlagt til )?([\d.]+)/g)].map((m) => m[1]);

const logByHtmx = (client: Client, agreementId: number, form: Record<string, string>) =>
  client.inject({
    method: 'POST',
    url: `/agreements/${agreementId}/meetings`,
    headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: client.csrf, ...form }).toString(),
  });

t.test('the answer to logging a meeting lists the newest ten, with a way to the older ones', async (t) => {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const actor = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Varmestuen Enghave', cvr: validCvr(501), contacts: [] }),
    })
  ).json() as { id: number };
  const agreement = (
    await coordinator.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: {
        title: 'Samarbejde om varmestuen',
        kind: 'informal',
        actorIds: [actor.id],
        startsOn: '2024-01-01',
        meetingIntervalMonths: 1,
        responsibilities: [{ party: 'Kommunen', responsibility: 'Rådgiver hver tirsdag' }],
        status: 'active',
      },
    })
  ).json() as { id: number };
  // A meeting planned long ago and never held: the oldest, so on the last page, yet the one a
  // meeting logged fills in.
  const planned = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: { plannedOn: '2024-12-02', actionItems: [] },
  });
  t.equal(planned.statusCode, 201, 'a meeting planned');
  const plannedMeeting = planned.json() as { id: number; version: number };
  // Twelve meetings held, one a month through 2025.
  for (let month = 1; month <= 12; month++) {
    const res = await coordinator.inject({
      method: 'POST',
      url: `/api/v1/agreements/${agreement.id}/meetings`,
      payload: { heldOn: `2025-${String(month).padStart(2, '0')}-10`, actionItems: [] },
    });
    t.equal(res.statusCode, 201, `the meeting of month ${month} logged`);
  }

  const before = await coordinator.inject({ method: 'GET', url: `/agreements/${agreement.id}` });
  t.equal(listed(before.body).length, 10, 'the page lists ten');
  t.match(
    before.body,
    new RegExp(`name="meetingId" value="${plannedMeeting.id}">`),
    'its log form fills in the meeting planned, though that is listed on the last page',
  );

  // A thirteenth, logged as htmx sends it: it fills in the meeting planned, wherever that is listed.
  const logged = await logByHtmx(coordinator, agreement.id, {
    heldOn: '2026-01-15',
    notes: 'Godt møde',
    meetingId: String(plannedMeeting.id),
    version: String(plannedMeeting.version),
  });
  t.equal(logged.statusCode, 200, 'logged');
  t.notMatch(logged.body, /<html/, 'htmx gets the section only');
  t.same(
    listed(logged.body),
    [
      '15.01.2026',
      '10.12.2025',
      '10.11.2025',
      '10.10.2025',
      '10.09.2025',
      '10.08.2025',
      '10.07.2025',
      '10.06.2025',
      '10.05.2025',
      '10.04.2025',
    ],
    'the newest ten meetings, newest first',
  );
  t.match(logged.body, /Side 1 af 2: 13 statusmøder i alt, de nyeste først\./);
  t.match(
    logged.body,
    new RegExp(`<a href="/agreements/${agreement.id}\\?meetingPage=2#meetings" rel="next">Ældre møder</a>`),
    'a plain link to the older meetings: it works with the keyboard and without JavaScript',
  );
  t.notMatch(logged.body, /Nyere møder/, 'the first page has no newer meetings');
  t.notMatch(logged.body, /name="meetingId"/, 'the meeting planned is now held: nothing left to fill in');

  // The write is audited as before, with the meeting as it now is.
  const [audit] = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_log where entity = 'meeting' and entity_id = ${String(plannedMeeting.id)} and action = 'log'`,
  );
  t.equal(Number(audit?.n), 1, 'logging the planned meeting is audited');

  // The older meetings, on the agreement page.
  const older = await coordinator.inject({ method: 'GET', url: `/agreements/${agreement.id}?meetingPage=2` });
  t.equal(older.statusCode, 200);
  t.same(listed(older.body), ['10.03.2025', '10.02.2025', '10.01.2025'], 'the three oldest on page 2');
  t.match(older.body, /Side 2 af 2: 13 statusmøder i alt/);
  t.match(older.body, new RegExp(`<a href="/agreements/${agreement.id}#meetings" rel="prev">Nyere møder</a>`));
  t.notMatch(older.body, /Ældre møder/);
  const beyond = await coordinator.inject({ method: 'GET', url: `/agreements/${agreement.id}?meetingPage=9` });
  t.same(listed(beyond.body), [], 'a page past the end lists none');
  t.notMatch(beyond.body, /Der er endnu ikke holdt/, 'and does not claim there are no meetings');
  t.match(beyond.body, /rel="prev">Nyere møder/);
  const nonsense = await coordinator.inject({ method: 'GET', url: `/agreements/${agreement.id}?meetingPage=x` });
  t.equal(listed(nonsense.body).length, 10, 'a page that is not a number is the first');

  // A meeting planned and not yet held is still the one the next meeting logged fills in, and a
  // stale version of it is refused with the section as it is.
  const plan = await logByHtmx(coordinator, agreement.id, { intent: 'plan', plannedOn: '2026-02-15' });
  t.equal(plan.statusCode, 200, 'planned');
  const fills = /name="meetingId" value="(\d+)">\s*<input type="hidden" name="version" value="(\d+)">/.exec(plan.body);
  t.ok(fills, 'the log form fills in the meeting planned');
  t.equal(listed(plan.body)[0], '15.02.2026', 'the meeting planned is the newest listed');
  const stale = await logByHtmx(coordinator, agreement.id, {
    heldOn: '2026-01-20',
    meetingId: String(fills?.[1]),
    version: String(Number(fills?.[2]) + 1),
  });
  t.equal(stale.statusCode, 409, 'a stale version is refused');
  t.equal(listed(stale.body).length, 10, 'with the newest ten meetings');
});

// The agreement page names an action item's owner from the municipality's active users it already
// read; an owner no longer among them (made inactive since) is looked up, and still named.
t.test('an action item keeps its owner’s name when the owner is no longer an active user', async (t) => {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const colleague = await h.as('coordinator', 101);
  const agreement = await activeAgreement(h, coordinator, '2026-01-01');
  await h.database.db.execute(sql`update users set name = 'Birthe Bruun' where id = ${colleague.user.id}`);
  await h.database.db.execute(sql`update users set name = 'Anders And' where id = ${coordinator.user.id}`);
  const logged = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: {
      heldOn: '2026-02-01',
      actionItems: [
        { text: 'Ring til caféen', ownerUserId: colleague.user.id },
        { text: 'Skriv referatet', ownerUserId: coordinator.user.id },
      ],
    },
  });
  t.equal(logged.statusCode, 201, logged.body);
  const item = (html: string, text: string) =>
    new RegExp(`${text}[\\s\\S]{0,400}?(Birthe Bruun|Anders And)`).exec(html)?.[1];
  let page = (await coordinator.inject({ method: 'GET', url: `/agreements/${agreement.id}` })).body;
  t.equal(item(page, 'Ring til caféen'), 'Birthe Bruun', 'an active owner is named');
  t.equal(item(page, 'Skriv referatet'), 'Anders And');
  // Deactivated as an admin does it: the users kept for the owner choice are read again.
  const admin = await h.as('admin', 101);
  const off = await admin.postForm(`/admin/users/${colleague.user.id}/deactivate`, { confirm: 'yes' });
  t.equal(off.statusCode, 303, off.body);
  page = (await coordinator.inject({ method: 'GET', url: `/agreements/${agreement.id}` })).body;
  t.equal(item(page, 'Ring til caféen'), 'Birthe Bruun', 'an owner made inactive since is still named');
  t.equal(item(page, 'Skriv referatet'), 'Anders And', 'beside an active one');
  const ownerChoice = page.match(/<select[^>]*ownerUserId[\s\S]*?<\/select>/)?.[0] ?? '';
  t.match(ownerChoice, /Anders And/, 'the owners offered are the active users');
  t.notMatch(ownerChoice, /Birthe Bruun/, 'not the one made inactive');
});
