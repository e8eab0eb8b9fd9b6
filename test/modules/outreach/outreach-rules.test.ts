import t from 'tap';
import { isDanishClockTime, summerTimeStarts } from '../../../src/lib/dates.ts';
import { actorInput, outreachInput as presence } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

const asForm = (body: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(body).map(([k, v]) => [
      k,
      Array.isArray(v) ? (k === 'dates' ? v.join(', ') : v.map(String)) : String(v ?? ''),
    ]),
  );

t.test('the hour skipped when summer time begins, from the time-zone data', async (t) => {
  t.same(
    [2026, 2027, 2028, 2029, 2030].map(summerTimeStarts),
    ['2026-03-29', '2027-03-28', '2028-03-26', '2029-03-25', '2030-03-31'],
    'the last Sunday of March',
  );
  t.notOk(isDanishClockTime('2027-03-28', '02:00'));
  t.notOk(isDanishClockTime('2027-03-28', '02:30'));
  t.notOk(isDanishClockTime('2027-03-28', '02:59'));
  t.ok(isDanishClockTime('2027-03-28', '01:59'));
  t.ok(isDanishClockTime('2027-03-28', '03:00'));
  t.ok(isDanishClockTime('2027-03-21', '02:30'), 'a week before');
  t.ok(isDanishClockTime('2027-10-31', '02:30'), 'the autumn night has 02:30 twice, not never');
});

t.test('outreach that could never take place is refused by the API and the form alike', async (t) => {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json() as {
    id: number;
  };
  const cases = [
    [
      'a Tuesday in a period of Wednesday to Sunday',
      presence(actor.id, { periodStart: '2027-03-03', periodEnd: '2027-03-07' }),
      'weekdays',
      /Ingen af de valgte ugedage ligger i perioden/,
    ],
    [
      'a one-day period on another weekday, with a single date besides',
      presence(actor.id, {
        weekdays: [1, 5],
        dates: ['2027-03-03'],
        periodStart: '2027-03-03',
        periodEnd: '2027-03-03',
      }),
      'weekdays',
      /Ingen af de valgte ugedage ligger i perioden/,
    ],
    [
      'Sundays at 02:30 with no end: the night summer time begins has no 02:30',
      presence(actor.id, {
        weekdays: [7],
        startsAt: '02:30',
        endsAt: '04:00',
        periodStart: '2027-04-01',
        periodEnd: null,
      }),
      'startsAt',
      /Klokken 02:30 findes ikke den nat, hvor der skiftes til sommertid/,
    ],
    [
      'Sundays ending at 02:00 in a period holding 28 March 2027',
      presence(actor.id, { weekdays: [7], startsAt: '01:00', endsAt: '02:00', periodEnd: '2027-03-28' }),
      'endsAt',
      /Klokken 02:00 findes ikke/,
    ],
    [
      'a single date on the night summer time begins',
      presence(actor.id, { weekdays: [], dates: ['2028-03-26'], startsAt: '02:15', endsAt: '05:00', periodEnd: null }),
      'startsAt',
      /Klokken 02:15 findes ikke/,
    ],
  ] as const;
  for (const [why, body, field, message] of cases) {
    const api = await coordinator.inject({ method: 'POST', url: '/api/v1/outreach', payload: body });
    t.equal(api.statusCode, 400, `API: ${why}`);
    t.equal(api.json().code, 'VALIDATION_FAILED', `API: ${why}: a coded error`);
    t.match(api.json().fieldErrors?.[field]?.[0], message, `API: ${why}: on ${field}, in Danish`);
    const form = await coordinator.postForm('/outreach', asForm(body));
    t.equal(form.statusCode, 422, `form: ${why}`);
    t.match(form.body, message, `form: ${why}: the message`);
    t.match(form.body, new RegExp(`id="field-${field}-error">.*?${message.source}`), `form: ${why}: beside its field`);
  }

  for (const [why, body] of [
    [
      'Sundays at 02:30 in a period without the last Sunday of March',
      presence(actor.id, {
        weekdays: [7],
        startsAt: '02:30',
        endsAt: '04:00',
        periodStart: '2027-03-29',
        periodEnd: '2028-03-25',
      }),
    ],
    [
      '02:30 on the night summer time ends',
      presence(actor.id, {
        weekdays: [],
        dates: ['2027-10-31'],
        startsAt: '02:30',
        endsAt: '04:00',
        periodStart: '2027-10-01',
        periodEnd: null,
      }),
    ],
    [
      'a period of one day on its weekday',
      presence(actor.id, { weekdays: [3], periodStart: '2027-03-03', periodEnd: '2027-03-03' }),
    ],
  ] as const) {
    const ok = await coordinator.inject({ method: 'POST', url: '/api/v1/outreach', payload: body });
    t.equal(ok.statusCode, 201, `allowed: ${why}`);
  }

  // A change is checked against the whole: moving a weekly presence onto Sundays at 02:30.
  const created = (
    await coordinator.inject({ method: 'POST', url: '/api/v1/outreach', payload: presence(actor.id) })
  ).json();
  for (const [payload, field] of [
    [{ version: 1, weekdays: [7], startsAt: '02:30', endsAt: '03:30' }, 'startsAt'],
    [{ version: 1, periodStart: '2027-04-28', periodEnd: '2027-04-30' }, 'weekdays'],
  ] as const) {
    const patched = await coordinator.inject({ method: 'PATCH', url: `/api/v1/outreach/${created.id}`, payload });
    t.equal(patched.statusCode, 400, `PATCH ${JSON.stringify(payload)}`);
    t.ok(patched.json().fieldErrors?.[field], `PATCH: on ${field}`);
  }
  const edit = await coordinator.postForm(
    `/outreach/${created.id}`,
    asForm({ ...presence(actor.id), version: 1, periodStart: '2027-04-28', periodEnd: '2027-04-30' }),
  );
  t.equal(edit.statusCode, 422, 'the edit form too');
  t.match(edit.body, /Ingen af de valgte ugedage ligger i perioden/);
});
