import t from 'tap';
import type { Principal } from '../../../src/lib/principal.ts';
import { actorInput, outreachInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * The actor's page reads the actor, its agreements and its outreach in one statement (issue 17): the
 * lists must be those the agreement list and the outreach search give, in their order and with the
 * same types, on both drivers.
 */
t.test('the actor page’s agreements and outreach are those their own lists give', async (t) => {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const aarhus = await h.as('coordinator', 751);
  const actor = (
    await coordinator.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Foreningen Fyret' }),
    })
  ).json() as { id: number };
  const agreement = async (by: typeof coordinator, title: string, status: string, endsOn?: string) => {
    const res = await by.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: {
        title,
        kind: 'informal',
        actorIds: [actor.id],
        startsOn: '2026-01-01',
        status,
        ...(endsOn ? { endsOn } : {}),
      },
    });
    t.equal(res.statusCode, 201, res.body);
  };
  // Active before drafts, then by title: not in the order they were made.
  await agreement(coordinator, 'Ø-aftalen', 'draft');
  await agreement(coordinator, 'B-aftalen', 'active', '2026-12-31');
  await agreement(aarhus, 'A-aftalen', 'active');
  await agreement(coordinator, 'C-aftalen', 'draft', '2027-06-30');
  for (const body of [
    outreachInput(actor.id, { startsAt: '13:00', endsAt: '15:30', weekdays: [4, 2], note: 'Med kaffe' }),
    outreachInput(actor.id, { kind: 'health_check', weekdays: [], dates: ['2027-03-19', '2027-03-05'] }),
  ]) {
    const res = await coordinator.inject({ method: 'POST', url: '/api/v1/outreach', payload: body });
    t.equal(res.statusCode, 201, res.body);
  }

  const { actors, outreach } = h.app.services;
  const principal: Principal = { userId: coordinator.user.id, municipalityCode: 101, role: 'coordinator' };
  const page = await actors.page(principal, actor.id, 200);
  t.equal(page.actor.name, 'Foreningen Fyret');
  const listed = (
    await coordinator.inject({ method: 'GET', url: `/api/v1/agreements?actorId=${actor.id}&limit=100` })
  ).json().items as Record<string, unknown>[];
  t.strictSame(
    page.agreements,
    listed.map(({ id, municipalityCode, title, status, startsOn, endsOn }) => ({
      id,
      municipalityCode,
      title,
      status,
      startsOn,
      endsOn: endsOn ?? null,
    })),
    'the agreements as the agreement list gives them, in its order',
  );
  t.same(
    page.agreements.map((a) => a.title),
    ['A-aftalen', 'B-aftalen', 'C-aftalen', 'Ø-aftalen'],
    'active first, then by title, every municipality’s',
  );
  t.same(
    (await actors.page(principal, actor.id, 2)).agreements.map((a) => a.title),
    ['A-aftalen', 'B-aftalen'],
    'at most as many as asked for',
  );
  t.strictSame(page.outreach, await outreach.list({ actorId: actor.id }), 'the outreach as its search gives it');
  t.same(
    page.outreach.map((o) => [o.startsAt, o.endsAt, o.weekdays, o.dates]),
    [
      ['10:00', '12:00', [], ['2027-03-05', '2027-03-19']],
      ['13:00', '15:30', [2, 4], []],
    ],
    'by the time it starts, its days in order, its times to the minute',
  );

  const shown = (await coordinator.inject({ method: 'GET', url: `/actors/${actor.id}` })).body;
  t.match(shown, /A-aftalen[\s\S]*B-aftalen[\s\S]*C-aftalen[\s\S]*Ø-aftalen/, 'the page lists them in that order');
  t.match(shown, /05\.03\.2027, 19\.03\.2027/, 'and the outreach’s dates');

  const other = (
    await coordinator.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Fyrets venner' }) })
  ).json() as { id: number };
  t.equal((await actors.page(principal, other.id, 200)).agreements.length, 0, 'none for an actor without');
  await t.rejects(actors.page(principal, 999_999, 200), { code: 'NOT_FOUND' }, 'an unknown actor');
});
