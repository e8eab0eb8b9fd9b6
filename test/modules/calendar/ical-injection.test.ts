import ICAL from 'ical.js';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * Actor names are typed by any municipality that shares the actor, and they reach every other
 * municipality's calendar feed. A line break or other control character in one must stay text.
 */
t.test('the calendar feed escapes line breaks and control characters from actor names (RFC 5545)', async (t) => {
  const h = await buildTestApp(t);
  const aarhus = await h.as('coordinator', 751);
  const coordinator = await h.as('coordinator', 101);
  const finance = await h.as('finance', 101);
  const names = [
    'Natcafé\rATTENDEE:mailto:angriber@example.com',
    'Varmestue\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:falsk@samspil\r\nSUMMARY:Falsk',
    'Herberg\nX-INJECTED:1',
    'Klub\u0007\u001b[31m\u007f\u0085DESCRIPTION:x\u2028LOCATION:y',
    'Bo\\sted; med, tegn\ttab',
  ];
  const actors: { id: number; name: string }[] = [];
  for (const [i, name] of names.entries()) {
    const res = await aarhus.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name, homeMunicipalityCode: 751, municipalityCodes: [751, 101] }),
    });
    t.equal(res.statusCode, 201, `actor ${i} created by another municipality`);
    actors.push({ id: res.json().id, name: res.json().name });
  }
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'P', budgetOre: 1e9 },
    })
  ).json();
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items;
  const expected = new Map<string, { summary: string; description?: string }>();
  for (const actor of actors) {
    const presence = await coordinator.inject({
      method: 'POST',
      url: '/api/v1/outreach',
      payload: {
        actorId: actor.id,
        kind: 'casework',
        unit: 'Team',
        weekdays: [2],
        startsAt: '10:00',
        endsAt: '12:00',
        periodStart: '2027-03-01',
        periodEnd: '2027-04-30',
      },
    });
    t.equal(presence.statusCode, 201, presence.body);
    expected.set(`outreach-${presence.json().id}@samspil`, { summary: `Fremskudt indsats: Team hos ${actor.name}` });
    const grant = (
      await finance.inject({
        method: 'POST',
        url: '/api/v1/grants',
        payload: { roundId: round.id, actorId: actor.id, title: 'Drift', requestedOre: 100_000 },
      })
    ).json();
    const approved = await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${grant.id}/transitions`,
      payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: groups[0].id },
    });
    t.equal(approved.statusCode, 200, approved.body);
    expected.set(`report-${grant.id}@samspil`, { summary: 'Afrapportering: Drift', description: actor.name });
  }

  const created = await coordinator.postForm('/account/calendar', {});
  const url = /id="feed-url">([^<]+)</.exec(created.body)?.[1] ?? '';
  const feed = await h.anonymous({ method: 'GET', url: new URL(url).pathname });
  t.equal(feed.statusCode, 200);
  const lines = feed.body.split('\r\n');
  t.notOk(/(?!\t)[\p{Cc}\u2028\u2029]/u.test(lines.join('')), 'no control character in a line');
  t.notOk(/\n/.test(lines.join('')), 'no bare LF');
  t.notOk(/\r/.test(lines.join('')), 'no bare CR (a line end to many readers)');
  t.equal(lines.filter((l) => l === 'BEGIN:VEVENT').length, expected.size, 'one BEGIN:VEVENT per item');
  t.notOk(
    lines.some((l) => /^(ATTENDEE|X-INJECTED|LOCATION|UID:falsk)/.test(l)),
    'no injected property at the start of a line',
  );

  const cal = new ICAL.Component(ICAL.parse(feed.body));
  const events = cal.getAllSubcomponents('vevent');
  t.equal(events.length, expected.size, 'ical.js reads exactly one event per item');
  t.same(
    events.map((e) => String(e.getFirstPropertyValue('uid'))).sort(),
    [...expected.keys()].sort(),
    'the right UIDs',
  );
  for (const e of events) {
    const uid = String(e.getFirstPropertyValue('uid'));
    const want = expected.get(uid);
    // Line breaks come back as \n; the other control characters are dropped; tab stays.
    const clean = (s: string) => s.replace(/\r\n|[\r\n\u0085\u2028\u2029]/g, '\n').replace(/(?![\t\n])\p{Cc}/gu, '');
    t.equal(e.getFirstPropertyValue('summary'), clean(want?.summary ?? ''), `${uid}: SUMMARY as typed`);
    if (want?.description)
      t.equal(e.getFirstPropertyValue('description'), clean(want.description), `${uid}: DESCRIPTION`);
    t.same(
      e
        .getAllProperties()
        .map((p) => p.name)
        .filter((n) => ['attendee', 'x-injected', 'location'].includes(n)),
      [],
      `${uid}: no injected property`,
    );
    t.equal(e.getAllProperties('summary').length, 1, `${uid}: one SUMMARY`);
  }
});
