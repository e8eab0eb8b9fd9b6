import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { addMonths, danishDate } from '../../../src/lib/dates.ts';
import { renewalPeriod } from '../../../src/modules/agreements/agreements.service.ts';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client, readReferences } from '../../helper.ts';

async function setup(t: Test) {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const makeActor = async (name: string, cvr?: string) =>
    (
      await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name, cvr, contacts: [] }) })
    ).json() as { id: number };
  const a = await makeActor('Varmestuen Enghave', validCvr(501));
  const b = await makeActor('Natcaféen på Vesterbro', validCvr(777));
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  return { h, coordinator, a, b, groupId: groups[0]?.id ?? 0 };
}

const create = (client: Client, body: Record<string, unknown>) =>
  client.inject({ method: 'POST', url: '/api/v1/agreements', payload: body });

const base = (actorIds: number[], extra: Record<string, unknown> = {}) => ({
  title: 'Samarbejde om natcafé og varmestue',
  kind: 'informal',
  actorIds,
  startsOn: '2026-01-01',
  endsOn: '2026-12-31',
  meetingIntervalMonths: 3,
  responsibilities: [
    { party: 'Kommunen', responsibility: 'Sagsbehandler til stede hver tirsdag' },
    { party: 'Varmestuen', responsibility: 'Lokaler og kaffe' },
  ],
  ...extra,
});

t.test('an agreement is created, read, changed and ended through the API, with versions and audit', async (t) => {
  const { h, coordinator, a, b, groupId } = await setup(t);
  const res = await create(coordinator, base([a.id, b.id], { targetGroupIds: [groupId], status: 'active' }));
  t.equal(res.statusCode, 201, res.body);
  const agreement = res.json();
  t.match(agreement, {
    municipalityCode: 101,
    kind: 'informal',
    actorIds: [a.id, b.id].sort((x, y) => x - y),
    targetGroupIds: [groupId],
    status: 'active',
    version: 1,
    lastMeetingHeldOn: null,
    nextMeetingDueOn: '2026-04-01',
  });
  t.same(agreement.responsibilities[1], { party: 'Varmestuen', responsibility: 'Lokaler og kaffe' });

  const patched = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/agreements/${agreement.id}`,
    payload: { version: 1, reviewOn: '2026-09-01', actorIds: [a.id] },
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.match(patched.json(), { version: 2, reviewOn: '2026-09-01', actorIds: [a.id] });
  t.same(patched.json().targetGroupIds, [groupId], 'lists left out of a change stay as they were');
  t.equal(patched.json().responsibilities.length, 2);

  const stale = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/agreements/${agreement.id}`,
    payload: { version: 1, title: 'Overskrevet' },
  });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'STALE_VERSION');
  t.match(stale.json().current, { title: 'Samarbejde om natcafé og varmestue', version: 2 });

  const ended = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/agreements/${agreement.id}`,
    payload: { version: 2, status: 'ended' },
  });
  t.equal(ended.json().status, 'ended');
  t.equal(ended.json().nextMeetingDueOn, null, 'an ended agreement has no next meeting');
  const back = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/agreements/${agreement.id}`,
    payload: { version: 3, status: 'draft' },
  });
  t.equal(back.statusCode, 409);
  t.equal(back.json().code, 'INVALID_TRANSITION');

  const audit = await h.database.rows<{ action: string }>(
    sql`select action from audit_log where entity = 'agreement' and entity_id = ${String(agreement.id)} order by id`,
  );
  t.same(
    audit.map((r) => r.action),
    ['create', 'update', 'update'],
    'each change is audited once',
  );
});

t.test('bad agreements are refused with the field at fault', async (t) => {
  const { h, coordinator, a } = await setup(t);
  const cases: [string, Record<string, unknown>, string][] = [
    ['end before start', base([a.id], { endsOn: '2025-12-31' }), 'endsOn'],
    ['no actors', base([]), 'actorIds'],
    ['unknown actor', base([a.id, 999_999]), 'actorIds'],
    ['same actor twice', base([a.id, a.id]), 'actorIds'],
    ['unknown target group', base([a.id], { targetGroupIds: [999_999] }), 'targetGroupIds'],
    ['pace out of range', base([a.id], { meetingIntervalMonths: 0 }), 'meetingIntervalMonths'],
    ['grant that does not exist', base([a.id], { grantIds: [999_999] }), 'grantIds'],
    ['coordinator that does not exist', base([a.id], { coordinatorUserId: 999_999 }), 'coordinatorUserId'],
    ['coordinator of another municipality', base([a.id], { coordinatorUserId: 1 }), 'coordinatorUserId'],
  ];
  const other = await h.as('coordinator', 147);
  for (const [name, body, field] of cases) {
    const foreignCoordinator = name === 'coordinator of another municipality';
    const res = await create(coordinator, foreignCoordinator ? { ...body, coordinatorUserId: other.user.id } : body);
    t.equal(res.statusCode, 400, name);
    t.ok(res.json().fieldErrors?.[field], `${name}: error on ${field}`);
  }
  const count = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from agreements`);
  t.equal(Number(count[0]?.n), 0, 'nothing was saved');

  const viewer = await h.as('viewer', 101);
  t.equal((await create(viewer, base([a.id]))).statusCode, 403, 'a viewer may not write agreements');
  t.equal(
    (await create(other, { ...base([a.id]), municipalityCode: 101 })).statusCode,
    403,
    'nor a coordinator of another municipality',
  );
  const finance = await h.as('finance', 101);
  t.equal((await create(finance, base([a.id]))).statusCode, 403, 'nor finance');
});

t.test('the agreement list gives each agreement with its parts, as the agreement alone does', async (t) => {
  const { h, coordinator, a, b, groupId } = await setup(t);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  const first = (
    await create(
      coordinator,
      base([b.id, a.id], { title: 'A: to aktører', targetGroupIds: [groupId], status: 'active' }),
    )
  ).json();
  await create(coordinator, base([a.id], { title: 'B: én aktør', responsibilities: [], meetingIntervalMonths: null }));
  await create(
    coordinator,
    base([b.id], { title: 'C: to målgrupper', targetGroupIds: groups.slice(1, 3).map((g) => g.id) }),
  );
  const met = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${first.id}/meetings`,
    payload: { heldOn: '2026-02-03', actionItems: [] },
  });
  t.equal(met.statusCode, 201, met.body);

  const one = async (id: number) =>
    (await coordinator.inject({ method: 'GET', url: `/api/v1/agreements/${id}` })).json() as { id: number };
  const listed: { id: number }[] = [];
  for (const offset of [0, 1, 2]) {
    const page = await coordinator.inject({ method: 'GET', url: `/api/v1/agreements?limit=1&offset=${offset}` });
    t.equal(page.json().total, 3, `page ${offset + 1}: the count of all`);
    listed.push(...page.json().items);
  }
  t.equal(listed.length, 3);
  for (const item of listed) t.strictSame(item, await one(item.id), `agreement ${item.id}: as read alone`);
  t.match(listed, [
    { title: 'A: to aktører', actorIds: [a.id, b.id].sort((x, y) => x - y), lastMeetingHeldOn: '2026-02-03' },
    { title: 'B: én aktør', actorIds: [a.id], responsibilities: [], lastMeetingHeldOn: null },
    {
      title: 'C: to målgrupper',
      actorIds: [b.id],
      targetGroupIds: groups
        .slice(1, 3)
        .map((g) => g.id)
        .sort((x, y) => x - y),
    },
  ]);
  const ofActor = (await coordinator.inject({ method: 'GET', url: `/api/v1/agreements?actorId=${b.id}` })).json();
  t.strictSame(
    ofActor.items,
    [await one(first.id), await one(listed[2]?.id ?? 0)],
    "one actor's agreements, as the actor page lists them",
  );
});

t.test('a status meeting is logged with action items; the next is proposed from the pace', async (t) => {
  const { h, coordinator, a, b } = await setup(t);
  const agreement = (await create(coordinator, base([a.id, b.id], { status: 'active' }))).json();
  const heldOn = '2026-01-31';
  const res = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: {
      heldOn,
      participants: 'Mette (kommunen), Ali (varmestuen)',
      notes: 'Godt fremmøde.',
      actionItems: [
        { text: 'Send mødeplan til frivillige', ownerUserId: coordinator.user.id, dueOn: '2026-02-15' },
        { text: 'Bestil kaffe', ownerName: 'Ali' },
      ],
    },
  });
  t.equal(res.statusCode, 201, res.body);
  const meeting = res.json();
  t.equal(meeting.proposedNextOn, '2026-04-30', 'three months after 31 January is 30 April');
  t.equal(meeting.actionItems.length, 2);
  t.equal(meeting.plannedOn, heldOn, 'a meeting logged without a plan was planned for the day it was held');

  const after = (await coordinator.inject({ method: 'GET', url: `/api/v1/agreements/${agreement.id}` })).json();
  t.equal(after.lastMeetingHeldOn, heldOn);
  t.equal(after.nextMeetingDueOn, '2026-04-30');

  const future = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: { heldOn: addMonths(danishDate(), 1) },
  });
  t.equal(future.statusCode, 400);
  t.ok(future.json().fieldErrors.heldOn, 'a meeting held cannot be in the future');

  // Plan one, then fill it in when it is held.
  const planned = (
    await coordinator.inject({
      method: 'POST',
      url: `/api/v1/agreements/${agreement.id}/meetings`,
      payload: { plannedOn: '2026-04-30' },
    })
  ).json();
  t.equal(planned.heldOn, null);
  t.equal(planned.proposedNextOn, null, 'planning a meeting proposes nothing');
  const filled = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: { meetingId: planned.id, version: planned.version, heldOn: '2026-05-04', decisions: 'Fortsæt' },
  });
  t.equal(filled.statusCode, 201, filled.body);
  t.match(filled.json(), { id: planned.id, plannedOn: '2026-04-30', heldOn: '2026-05-04', version: 2 });
  const twice = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: { meetingId: planned.id, version: planned.version, heldOn: '2026-05-05' },
  });
  t.equal(twice.statusCode, 409, 'a stale version of a meeting is refused');

  const list = (await coordinator.inject({ method: 'GET', url: `/api/v1/agreements/${agreement.id}/meetings` })).json()
    .items;
  t.same(
    list.map((m: { heldOn: string }) => m.heldOn),
    ['2026-05-04', '2026-01-31'],
    'newest first',
  );

  const foreignOwner = await h.as('coordinator', 147);
  const bad = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: { heldOn: '2026-02-01', actionItems: [{ text: 'x', ownerUserId: foreignOwner.user.id }] },
  });
  t.equal(bad.statusCode, 400, 'an owner must be a user of the municipality');
  const notMine = await foreignOwner.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.id}/meetings`,
    payload: { heldOn: '2026-02-01' },
  });
  t.equal(notMine.statusCode, 403, 'another municipality may not log meetings on this agreement');
});

t.test('action items are ticked off with versions, listed and audited', async (t) => {
  const { h, coordinator, a } = await setup(t);
  const agreement = (await create(coordinator, base([a.id]))).json();
  const meeting = (
    await coordinator.inject({
      method: 'POST',
      url: `/api/v1/agreements/${agreement.id}/meetings`,
      payload: {
        heldOn: '2026-02-02',
        actionItems: [
          { text: 'Mit punkt', ownerUserId: coordinator.user.id, dueOn: '2026-02-10' },
          { text: 'Andres punkt', ownerName: 'Varmestuen' },
        ],
      },
    })
  ).json();
  const [mine, theirs] = meeting.actionItems;
  t.equal(mine.overdue, danishDate() > '2026-02-10', 'overdue when the due date has passed');

  const open = await coordinator.inject({
    method: 'GET',
    url: `/api/v1/action-items?open=true&ownerUserId=${coordinator.user.id}`,
  });
  t.same(
    open.json().items.map((i: { text: string }) => i.text),
    ['Mit punkt'],
  );

  const done = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/action-items/${mine.id}`,
    payload: { version: mine.version, done: true },
  });
  t.equal(done.statusCode, 200, done.body);
  t.match(done.json(), { done: true, overdue: false, version: mine.version + 1 });
  const stale = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/action-items/${mine.id}`,
    payload: { version: mine.version, done: false },
  });
  t.equal(stale.statusCode, 409);

  const stillOpen = await coordinator.inject({ method: 'GET', url: '/api/v1/action-items?open=true' });
  t.same(
    stillOpen.json().items.map((i: { id: number }) => i.id),
    [theirs.id],
  );
  const viewer = await h.as('viewer', 101);
  const denied = await viewer.inject({
    method: 'PATCH',
    url: `/api/v1/action-items/${theirs.id}`,
    payload: { version: theirs.version, done: true },
  });
  t.equal(denied.statusCode, 403);

  const audit = await h.database.rows<{ entity: string; action: string }>(
    sql`select entity, action from audit_log where entity in ('meeting', 'action_item') order by id`,
  );
  t.same(audit, [
    { entity: 'meeting', action: 'log' },
    { entity: 'action_item', action: 'complete' },
  ]);
});

t.test('renewal copies the agreement into its next period as a draft', async (t) => {
  const { coordinator, a, b, groupId } = await setup(t);
  const old = (
    await create(coordinator, base([a.id, b.id], { targetGroupIds: [groupId], reviewOn: '2026-10-01' }))
  ).json();
  const res = await coordinator.inject({ method: 'POST', url: `/api/v1/agreements/${old.id}/renewal` });
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), {
    title: old.title,
    kind: 'informal',
    actorIds: old.actorIds,
    targetGroupIds: [groupId],
    responsibilities: old.responsibilities,
    startsOn: '2027-01-01',
    endsOn: '2027-12-31',
    reviewOn: '2027-10-01',
    meetingIntervalMonths: 3,
    status: 'draft',
    renewedFromId: old.id,
    grantIds: [],
  });

  // Whole months stay whole months, across a leap year.
  t.same(renewalPeriod({ startsOn: '2027-01-01', endsOn: '2027-12-31', reviewOn: null }, '2026-11-22'), {
    startsOn: '2028-01-01',
    endsOn: '2028-12-31',
    reviewOn: null,
  });
  t.same(renewalPeriod({ startsOn: '2026-03-01', endsOn: '2026-08-31', reviewOn: '2026-06-30' }, '2026-11-22'), {
    startsOn: '2026-09-01',
    endsOn: '2027-02-28',
    reviewOn: '2026-12-30',
  });
  t.same(
    renewalPeriod({ startsOn: '2026-03-10', endsOn: '2026-03-24', reviewOn: null }, '2026-11-22'),
    { startsOn: '2026-03-25', endsOn: '2026-04-08', reviewOn: null },
    'a period of days stays as many days',
  );
  t.same(
    renewalPeriod({ startsOn: '2026-01-01', endsOn: null, reviewOn: '2026-07-01' }, '2026-11-22'),
    { startsOn: '2026-11-22', endsOn: null, reviewOn: '2027-05-22' },
    'an open-ended agreement renews from today',
  );
});

t.test('an agreement running to the end of the calendar cannot be renewed: 409 with what to do', async (t) => {
  const { h, coordinator, a } = await setup(t);
  const cases: [string, Record<string, unknown>][] = [
    ['ends 31.12.9999', { startsOn: '2026-01-01', endsOn: '9999-12-31' }],
    ['its next period would pass 9999', { startsOn: '2026-01-01', endsOn: '9000-06-30' }],
    ['its review date would pass 9999', { startsOn: '2026-01-01', endsOn: '2026-12-31', reviewOn: '9999-06-01' }],
  ];
  for (const [why, period] of cases) {
    const old = (await create(coordinator, base([a.id], period))).json();
    const api = await coordinator.inject({ method: 'POST', url: `/api/v1/agreements/${old.id}/renewal` });
    t.equal(api.statusCode, 409, `${why}: the API`);
    t.match(api.json(), { code: 'RENEWAL_BEYOND_CALENDAR', message: /slutdato.*forny/ }, `${why}: says what to do`);
    const page = await coordinator.postForm(`/agreements/${old.id}/renew`, {});
    t.equal(page.statusCode, 409, `${why}: the page`);
    t.match(page.body, /Ret aftalens slutdato/, `${why}: the page says what to do`);
  }
  const count = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from agreements`);
  t.equal(count[0]?.n, cases.length, 'nothing was created');
});

t.test('the agreement pages: create with a form, log a meeting and tick an item off in place', async (t) => {
  const { coordinator, a, b } = await setup(t);
  const form = await coordinator.inject({ method: 'GET', url: `/agreements/new?actorId=${a.id}` });
  t.equal(form.statusCode, 200);
  t.match(form.body, /name="actorIds"/);

  const invalid = await coordinator.postForm('/agreements', {
    title: '',
    kind: 'informal',
    actorIds: [String(a.id)],
    startsOn: '2026-05-01',
    endsOn: '2026-04-01',
  });
  t.equal(invalid.statusCode, 422);
  t.match(invalid.body, /id="error-summary"/);
  t.match(invalid.body, /Slutdatoen skal ligge efter startdatoen/);
  t.match(
    invalid.body,
    new RegExp(`type="checkbox" id="field-actorIds-${a.id}" name="actorIds" value="${a.id}" checked>`),
    'the chosen actor stays ticked',
  );

  const search = await coordinator.postForm('/agreements', {
    title: 'Halvt udfyldt',
    actorQ: 'Natcaf',
    intent: 'searchActors',
  });
  t.equal(search.statusCode, 200, 'searching for actors without JavaScript re-renders the form');
  t.match(search.body, /value="Halvt udfyldt"/);
  t.match(search.body, /Natcaféen på Vesterbro/);

  const created = await coordinator.postForm('/agreements', {
    title: 'Uformelt samarbejde om natcafé',
    kind: 'informal',
    actorIds: [String(a.id), String(b.id)],
    startsOn: '2026-01-01',
    meetingIntervalMonths: '2',
    'responsibilities[0][party]': 'Kommunen',
    'responsibilities[0][responsibility]': 'Rådgiver en gang om ugen',
    status: 'active',
  });
  t.equal(created.statusCode, 303, created.body);
  const url = String(created.headers.location);
  t.match(url, /^\/agreements\/\d+$/);
  const page = await coordinator.inject({ method: 'GET', url });
  t.equal(page.statusCode, 200);
  t.match(page.body, /Natcaféen på Vesterbro/);
  t.match(page.body, /Rådgiver en gang om ugen/);

  const logged = await coordinator.inject({
    method: 'POST',
    url: `${url}/meetings`,
    headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      _csrf: coordinator.csrf,
      heldOn: '2026-03-31',
      participants: 'Mette, Ali',
      'items[0][text]': 'Lav en vagtplan',
      'items[0][ownerUserId]': String(coordinator.user.id),
      'items[1][text]': 'Find en frivillig mere',
      'items[1][ownerName]': 'Ali',
    }).toString(),
  });
  t.equal(logged.statusCode, 200, logged.body);
  t.match(
    logged.body,
    /^(<p id="announcer"[^>]*hx-swap-oob="true"[^>]*>Statusmødet er gemt\.<\/p>\s*)?(<span id="next-meeting" hx-swap-oob="true">.*?<\/span><\/span>\s*|<span id="next-meeting" hx-swap-oob="true">[^<]*<\/span>\s*)<section id="meetings"/,
  );
  t.match(logged.body, /hx-swap-oob="true"/, 'the announcement goes to the live region');
  t.match(logged.body, /Næste statusmøde foreslås den 31\.05\.2026/, 'two months after 31 March is 31 May');
  t.match(logged.body, /name="plannedOn"[^>]*value="2026-05-31"/, 'and the plan form holds the proposal');
  t.notMatch(logged.body, /<html/, 'htmx gets the section only');

  const item = /action="\/action-items\/(\d+)"[\s\S]*?name="version" value="(\d+)"/.exec(logged.body);
  t.ok(item, 'the items can be ticked off');
  const ticked = await coordinator.inject({
    method: 'POST',
    url: `/action-items/${item?.[1]}`,
    headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: coordinator.csrf, version: String(item?.[2]), done: 'true' }).toString(),
  });
  t.equal(ticked.statusCode, 200, ticked.body);
  t.match(ticked.body, new RegExp(`^<li id="item-${item?.[1]}" class="samspil-item samspil-item-done">`));
  t.match(ticked.body, /Genåbn/);
  t.match(ticked.body, /Handlepunktet er markeret som udført/);

  const again = await coordinator.inject({
    method: 'POST',
    url: `/action-items/${item?.[1]}`,
    headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: coordinator.csrf, version: String(item?.[2]), done: 'true' }).toString(),
  });
  t.equal(again.statusCode, 409, 'a stale tick gets 409 and the item as it is now');
  t.match(again.body, /Punktet er ændret af en anden imens/);

  // Without JavaScript: a redirect back to the agreement, with the proposal in the URL.
  const plain = await coordinator.postForm(`${url}/meetings`, { heldOn: '2026-04-02' });
  t.equal(plain.statusCode, 303);
  t.equal(plain.headers.location, `${url}?proposed=2026-06-02#meetings`);
  const shown = await coordinator.inject({ method: 'GET', url: `${url}?proposed=2026-06-02` });
  t.match(shown.body, /Næste statusmøde foreslås den 02\.06\.2026/);

  const missing = await coordinator.postForm(`${url}/meetings`, { heldOn: '' });
  t.equal(missing.statusCode, 422, 'a meeting held needs its date');
  const plan = await coordinator.postForm(`${url}/meetings`, { intent: 'plan', plannedOn: '2026-06-02' });
  t.equal(plan.statusCode, 303);
  const withPlan = await coordinator.inject({ method: 'GET', url });
  t.match(withPlan.body, /Udfylder det møde, der var planlagt til 02\.06\.2026/);
});

t.test('the agreement list filters by municipality, status and text', async (t) => {
  const { h, coordinator, a } = await setup(t);
  await create(coordinator, base([a.id], { title: 'Aftale om varmestue', status: 'active' }));
  await create(coordinator, base([a.id], { title: 'Aftale om lektiecafé' }));
  const other = await h.as('coordinator', 147);
  await create(other, base([a.id], { title: 'Frederiksbergs aftale' }));

  const own = await coordinator.inject({ method: 'GET', url: '/agreements' });
  t.match(own.body, /Aftale om varmestue/);
  t.notMatch(own.body, /Frederiksbergs aftale/, 'your own municipality by default');
  const all = await coordinator.inject({ method: 'GET', url: '/agreements?municipalityCode=all' });
  t.match(all.body, /Frederiksbergs aftale/);
  const active = await coordinator.inject({
    method: 'GET',
    url: '/agreements?status=active&q=varme',
    headers: { 'hx-request': 'true', 'hx-target': 'agreement-results' },
  });
  t.match(active.body, /Aftale om varmestue/);
  t.notMatch(active.body, /lektiecafé/);
  t.notMatch(active.body, /<html/);
  const api = await coordinator.inject({ method: 'GET', url: `/api/v1/agreements?actorId=${a.id}` });
  t.equal(api.json().total, 3);
});

t.test('an agreement lets its municipality see the actor’s contact persons, until it ends', async (t) => {
  const { h, coordinator } = await setup(t);
  // An actor of København only, with a contact person.
  const actor = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Gadeteatret', municipalityCodes: [101], cvr: validCvr(901) }),
    })
  ).json();
  const aarhus = await h.as('coordinator', 751);
  const contacts = async () =>
    (await aarhus.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` })).json().contacts.length;
  t.equal(await contacts(), 0, 'Aarhus does not work with the actor: no contacts');
  const agreement = (await create(aarhus, base([actor.id], { status: 'active' }))).json();
  t.equal(await contacts(), 1, 'with an agreement, Aarhus sees the contact person');
  await aarhus.inject({
    method: 'PATCH',
    url: `/api/v1/agreements/${agreement.id}`,
    payload: { version: agreement.version, status: 'ended' },
  });
  t.equal(await contacts(), 0, 'when it ends, no longer');
  t.equal(
    (await coordinator.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` })).json().contacts.length,
    1,
    'the home municipality always does',
  );
});

t.test('the actor page lists the actor’s agreements from every municipality', async (t) => {
  const { h, coordinator, a } = await setup(t);
  await create(coordinator, base([a.id], { title: 'Københavns aftale om varmestuen' }));
  const aarhus = await h.as('coordinator', 751);
  await create(aarhus, base([a.id], { title: 'Aarhus’ aftale om varmestuen' }));
  const page = await coordinator.inject({ method: 'GET', url: `/actors/${a.id}` });
  t.match(page.body, /Københavns aftale om varmestuen/);
  t.match(readReferences(page.body), /Aarhus’ aftale om varmestuen/);
  t.match(page.body, new RegExp(`href="/agreements/new\\?actorId=${a.id}"`), 'a coordinator may start one from here');
  const viewer = await h.as('viewer', 101);
  t.notMatch((await viewer.inject({ method: 'GET', url: `/actors/${a.id}` })).body, /agreements\/new/);
});

t.test('the meeting form takes as many action items as the API (it is the API’s schema)', async (t) => {
  const { coordinator, a } = await setup(t);
  const agreement = (await create(coordinator, base([a.id], { status: 'active' }))).json();
  const items = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`items[${i}][text]`, `Handlepunkt ${i + 1}`]));
  const logged = await coordinator.postForm(`/agreements/${agreement.id}/meetings`, { heldOn: '2026-02-01', ...items });
  t.equal(logged.statusCode, 303, 'eleven action items are taken, as the API takes up to 50');
  const meetings = (
    await coordinator.inject({ method: 'GET', url: `/api/v1/agreements/${agreement.id}/meetings` })
  ).json().items;
  t.equal(meetings[0]?.actionItems.length, 11);
});
