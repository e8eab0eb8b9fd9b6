import { sql } from 'drizzle-orm';
import t from 'tap';
import { addDays, danishDate } from '../../../src/lib/dates.ts';
import type { Principal } from '../../../src/lib/principal.ts';
import { searchGrants } from '../../../src/modules/grants/grants.list.repository.ts';
import type { ListedGrant } from '../../../src/modules/grants/grants.rules.ts';
import type { Grant } from '../../../src/modules/grants/grants.schemas.ts';
import { actorInput, registeredActor } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/** The grant service's own rules, called as the routes call them: no request, a principal. */
t.test('the grant service: advancing a round, recording a payment, the export list', async (t) => {
  const h = await buildTestApp(t);
  const grants = h.app.services.grants;
  const financeUser = await h.as('finance', 101);
  const finance: Principal = { userId: financeUser.user.id, municipalityCode: 101, role: 'finance' };
  const coordinator: Principal = { userId: null, municipalityCode: 101, role: 'coordinator' };
  const aarhus: Principal = { userId: null, municipalityCode: 751, role: 'finance' };
  const groupId = (
    (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number; nameDa: string }[]
  ).find((g) => g.nameDa === 'Hjemløshed')?.id as number;
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();

  t.test('advanceRound moves a round one step at a time', async (t) => {
    const round = await grants.createRound(finance, { year: 2026, name: 'Puljen', budgetOre: 1_000_000 });
    await t.rejects(grants.advanceRound(coordinator, round.id, round.version), { code: 'FORBIDDEN' });
    await t.rejects(grants.advanceRound(aarhus, round.id, round.version), { code: 'FORBIDDEN' });
    const open = await grants.advanceRound(finance, round.id, round.version);
    t.equal(open.status, 'open');
    await t.rejects(
      grants.advanceRound(finance, round.id, round.version),
      { code: 'STALE_VERSION' },
      'the version read decides the step: no second step from a stale page',
    );
    t.equal((await grants.getRound(round.id)).status, 'open');
    const closed = await grants.advanceRound(finance, round.id, open.version);
    const decided = await grants.advanceRound(finance, round.id, closed.version);
    t.same([closed.status, decided.status], ['closed', 'decided']);
    const still = await grants.advanceRound(finance, round.id, decided.version);
    t.same([still.status, still.version], ['decided', decided.version], 'a decided round stays as it is');
  });

  t.test('recordPayment adds one payment, within the award', async (t) => {
    const pay = (who: Principal, id: number, version: number, kind: 'payment' | 'repayment', amountOre: number) =>
      grants.recordPayment(who, id, {
        kind,
        paidOn: kind === 'payment' ? '2026-03-01' : '2026-05-01',
        amountOre,
        version,
      });
    const round = await grants.createRound(finance, { year: 2026, name: 'Udbetalinger', budgetOre: 1_000_000 });
    const applied = await grants.apply(finance, {
      roundId: round.id,
      actorId: actor.id,
      title: 'Varmestue',
      kind: 'money',
      requestedOre: 500_000,
    });
    await t.rejects(
      pay(finance, applied.id, applied.version, 'payment', 1),
      { code: 'PAYMENTS_EXCEED_AWARD' },
      'nothing is paid before an award',
    );
    const awarded = await grants.transition(finance, applied.id, {
      to: 'approved',
      version: applied.version,
      targetGroupId: groupId,
    });
    const first = await pay(finance, awarded.id, awarded.version, 'payment', 300_000);
    t.match(first.payments, [{ kind: 'payment', paidOn: '2026-03-01', amountOre: 300_000 }]);
    t.equal(first.version, awarded.version + 1, 'the grant’s version moves on');
    await t.rejects(pay(finance, awarded.id, awarded.version, 'payment', 100_000), { code: 'STALE_VERSION' });
    await t.rejects(pay(coordinator, awarded.id, first.version, 'payment', 100_000), { code: 'FORBIDDEN' });
    await t.rejects(
      pay(finance, awarded.id, first.version, 'payment', 200_001),
      { code: 'PAYMENTS_EXCEED_AWARD' },
      'the payments together never pass the award',
    );
    await t.rejects(
      pay(finance, awarded.id, first.version, 'repayment', 300_001),
      { code: 'PAYMENTS_EXCEED_AWARD' },
      'nor go below nothing',
    );
    const second = await pay(finance, awarded.id, first.version, 'repayment', 50_000);
    t.match(
      second.payments,
      [
        { kind: 'payment', paidOn: '2026-03-01', amountOre: 300_000 },
        { kind: 'repayment', paidOn: '2026-05-01', amountOre: 50_000 },
      ],
      'the earlier payment is kept',
    );
    t.equal(second.paidOre, 250_000);
    const audit = await h.database.rows<{ action: string; payment: unknown }>(
      sql`select action, after->'payment' as payment from audit_log
          where entity = 'grant' and entity_id = ${String(awarded.id)} order by id desc limit 1`,
    );
    t.match(audit[0], { action: 'update', payment: { kind: 'repayment', amountOre: 50_000 } }, 'audited');
  });

  t.test('listPage gives the list pages what listGrants gives the API, without the parts', async (t) => {
    // The fields the list pages show (views/grants/_results.eta, views/actors/show.eta).
    const fields = (
      'id roundId municipalityCode actorId title kind requestedOre awardedOre decisionOn status ' +
      'reportDueOn reportReceivedOn reportOverdue paidOre'
    ).split(' ') as (keyof ListedGrant)[];
    const pick = (g: ListedGrant | Grant) => Object.fromEntries(fields.map((f) => [f, g[f]]));
    // Beside the grant paid in part above: some overdue, one received, one not yet awarded.
    const round = await grants.createRound(finance, { year: 2025, name: 'Listen', budgetOre: 0 });
    await h.database.rows(sql`
      with listed as (
        insert into grants (round_id, actor_id, title, requested_ore, awarded_ore, report_due_on, report_received_on, status, decision_on)
        select ${round.id}, ${actor.id}::int, 'Listet ' || i, 1000 * i, case when i > 1 then 900 * i end,
          (array['2025-06-01', '2030-06-01'])[1 + i % 2]::date, case when i = 4 then '2025-05-01'::date end,
          (array['applied', 'approved', 'paid', 'paid', 'accounted', 'approved'])[i]::grant_status,
          case when i > 1 then '2025-03-01'::date end
        from generate_series(1, 6) i
        returning id, awarded_ore)
      insert into grant_allocations (grant_id, target_group_id, amount_ore)
      select id, ${groupId}::int, awarded_ore from listed where awarded_ore is not null`);
    let compared = 0;
    for (const query of [{}, { sort: '-awarded' as const }, { status: 'paid' as const }, { actorId: actor.id }]) {
      const full = await grants.listGrants({ ...query, limit: 50, offset: 0 });
      const page = await grants.listPage({ ...query, limit: 50, offset: 0 });
      t.strictSame(page.items.map(pick), full.items.map(pick), `${JSON.stringify(query)}: the same grants and fields`);
      t.strictSame(
        [page.total, page.requestedOre, page.awardedOre, page.paidOre, page.rounds, page.actors],
        [full.total, full.requestedOre, full.awardedOre, full.paidOre, full.rounds, full.actors],
        'the same totals and names',
      );
      t.notOk('payments' in (page.items[0] ?? {}), 'no parts read');
      compared += page.items.length;
    }
    t.ok(compared > 12, `${compared} grants compared`);
    const shown = (await grants.listPage({ limit: 50, offset: 0 })).items;
    t.ok(
      shown.some((g) => g.paidOre === 250_000),
      'a grant with a payment and a repayment: the net paid, as its own page says',
    );
    t.same(
      shown.filter((g) => g.title.startsWith('Listet') && g.reportOverdue).map((g) => g.title),
      ['Listet 2', 'Listet 6'],
      'overdue: awarded, not received, due before today',
    );
  });

  t.test("exportList reads the whole filtered list, in the list's order", async (t) => {
    const round = await grants.createRound(finance, { year: 2027, name: 'Eksport', budgetOre: 0 });
    const other = (
      await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Bydelsmødrene Eksport' }) })
    ).json();
    // More than the export reads at once (2,000), two actors taking turns, three statuses in turn.
    await h.database.rows(sql`
      insert into grants (round_id, actor_id, title, requested_ore, report_due_on, status)
      select ${round.id}, case when i % 2 = 0 then ${actor.id}::int else ${other.id}::int end, 'Ansøgning ' || i, i,
        '2028-06-01', (array['applied', 'rejected', 'withdrawn'])[1 + i % 3]::grant_status
      from generate_series(1, 2203) i`);
    const all = await grants.exportList({ roundId: round.id });
    t.equal(all.total, 2203);
    t.equal(all.items.length, 2203, 'more than it reads at once');
    t.equal(new Set(all.items.map((g) => g.id)).size, 2203, 'each grant once');
    t.same(
      all.rounds.map((r) => r.id),
      [round.id],
    );
    t.equal((await grants.exportList({ roundId: round.id, status: 'approved' })).items.length, 0);
    // In the list's order, whichever it is sorted by.
    for (const sort of [undefined, 'actor', '-status'] as const) {
      const exported = await grants.exportList({ roundId: round.id, sort });
      for (const offset of [0, 1990, 2150]) {
        const listed = await grants.listGrants({ roundId: round.id, sort, limit: 100, offset });
        t.same(
          exported.items.slice(offset, offset + 100).map((g) => g.id),
          listed.items.map((g) => g.id),
          `sorted by ${sort ?? 'default'}: the export from ${offset} is the list's page from ${offset}`,
        );
      }
    }
    t.not(
      (await grants.exportList({ roundId: round.id, sort: 'actor' })).items[0]?.actorId,
      (await grants.exportList({ roundId: round.id, sort: '-actor' })).items[0]?.actorId,
      'the sorts differ',
    );
    const byAmount = await grants.exportList({ roundId: round.id, sort: '-awarded', q: 'Ansøgning 12' });
    t.same(
      byAmount.items.map((g) => g.title),
      Array.from({ length: 2203 }, (_, i) => i + 1)
        .filter((i) => String(i).includes('12'))
        .map((i) => `Ansøgning ${i}`),
      'filtered by text, in the order of the list (none awarded: by id)',
    );
  });
});

// A report is overdue from Danish midnight, whatever time zone the database's sessions are in: at
// any moment one of these two zones is on another day than Denmark (UTC+14 and UTC-11).
t.test('the overdue filter counts the day in Danish time, as the badge does', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const principal: Principal = { userId: finance.user.id, municipalityCode: 101, role: 'finance' };
  const grants = h.app.services.grants;
  const groupId = (
    (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[]
  )[0]?.id as number;
  const actor = await registeredActor(h, { name: 'Foreningen Tidszonen' });
  const round = await grants.createRound(principal, { year: 2026, name: 'Tidszonerne', budgetOre: 0 });
  const today = danishDate();
  const yesterday = addDays(today, -1);
  await h.database.rows(sql`
    with made as (
      insert into grants (round_id, actor_id, title, requested_ore, awarded_ore, report_due_on, status, decision_on)
      values (${round.id}, ${actor.id}, 'Frist i dag', 100, 100, ${today}::date, 'approved', ${yesterday}::date),
             (${round.id}, ${actor.id}, 'Frist i går', 100, 100, ${yesterday}::date, 'approved', ${yesterday}::date)
      returning id, awarded_ore)
    insert into grant_allocations (grant_id, target_group_id, amount_ore) select id, ${groupId}::int, awarded_ore from made`);
  const badges = (await grants.listPage({ roundId: round.id, limit: 10, offset: 0 })).items;
  t.same(
    badges.map((g) => [g.title, g.reportOverdue]),
    [
      ['Frist i dag', false],
      ['Frist i går', true],
    ],
    'the badge: due yesterday is overdue, due today is not',
  );
  for (const zone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC']) {
    const found = await h.database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local timezone = '${zone}'`));
      return (await searchGrants(tx, { roundId: round.id, overdue: true, limit: 10, offset: 0 }, 'listed')).rows;
    });
    t.same(
      found.map((r) => r.title),
      ['Frist i går'],
      `the filter, with the database's sessions in ${zone}: as the badge`,
    );
  }
});
