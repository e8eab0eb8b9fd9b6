import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, onPostgres } from '../../helper.ts';
import { recordStatements } from '../../plans.ts';

async function setup(t: Test, budgetOre = 10_000_000) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const group = (name: string) => groups.find((g) => g.nameDa === name)?.id ?? 0;
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Varmestuen Enghave' }) })
  ).json();
  const round = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: {
      year: 2026,
      name: '§ 18-puljen 2026',
      budgetOre,
      applicationsOpenOn: '2026-01-15',
      applicationsCloseOn: '2026-03-01',
    },
  });
  return { h, finance, group, actor, round: round.json(), roundRes: round };
}

async function apply(
  client: Client,
  roundId: number,
  actorId: number,
  requestedOre: number,
  extra: Record<string, unknown> = {},
) {
  return client.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId, actorId, title: 'Åben varmestue om aftenen', requestedOre, ...extra },
  });
}

const transition = (client: Client, id: number, body: Record<string, unknown>) =>
  client.inject({ method: 'POST', url: `/api/v1/grants/${id}/transitions`, payload: body });

t.test('a grant from application to closed, with the money checked at every step', async (t) => {
  const { h, finance, group, actor, round, roundRes } = await setup(t);
  t.equal(roundRes.statusCode, 201);
  t.match(round, {
    municipalityCode: 101,
    budgetOre: 10_000_000,
    reportDueOn: '2027-06-01',
    remainingOre: '10000000',
    status: 'planned',
  });

  const coordinator = await h.as('coordinator', 101);
  t.equal(
    (
      await coordinator.inject({
        method: 'POST',
        url: '/api/v1/grant-rounds',
        payload: { year: 2026, name: 'X', budgetOre: 1 },
      })
    ).statusCode,
    403,
    'only finance and admin',
  );
  t.equal((await apply(coordinator, round.id, actor.id, 100)).statusCode, 403);

  const applied = await apply(finance, round.id, actor.id, 5_000_000);
  t.equal(applied.statusCode, 201);
  const grant = applied.json();
  t.match(grant, {
    status: 'applied',
    requestedOre: 5_000_000,
    awardedOre: null,
    reportDueOn: '2027-06-01',
    kind: 'money',
    version: 1,
  });
  t.notOk(grant.warnings);

  const wrongStep = await transition(finance, grant.id, { to: 'paid', version: 1 });
  t.equal(wrongStep.statusCode, 409);
  t.match(wrongStep.json(), {
    code: 'INVALID_TRANSITION',
    message: 'En ansøgning kan kun bevilges, afvises eller trækkes tilbage.',
  });

  const noSplit = await transition(finance, grant.id, { to: 'approved', version: 1, awardedOre: 4_000_000 });
  t.equal(noSplit.statusCode, 400);
  t.equal(noSplit.json().code, 'ALLOCATION_MISMATCH');
  const badSplit = await transition(finance, grant.id, {
    to: 'approved',
    version: 1,
    awardedOre: 4_000_000,
    allocations: [
      { targetGroupId: group('Hjemløshed'), amountOre: 3_000_000 },
      { targetGroupId: group('Stofmisbrug'), amountOre: 999_999 },
    ],
  });
  t.equal(badSplit.statusCode, 400, 'the lines must add up to the award exactly');

  const approved = await transition(finance, grant.id, {
    to: 'approved',
    version: 1,
    awardedOre: 4_000_000,
    decisionOn: '2026-03-20',
    allocations: [
      { targetGroupId: group('Hjemløshed'), amountOre: 3_000_000 },
      { targetGroupId: group('Stofmisbrug'), amountOre: 1_000_000 },
    ],
  });
  t.equal(approved.statusCode, 200, approved.body);
  t.match(approved.json(), {
    status: 'approved',
    awardedOre: 4_000_000,
    decisionOn: '2026-03-20',
    version: 2,
    auditorEndorsementRequired: true,
  });
  t.equal(approved.json().allocations.length, 2);

  const tooMuch = await h.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    headers: { authorization: `Bearer ${finance.token}` },
    payload: { version: 2, payments: [{ paidOn: '2026-04-01', amountOre: 4_000_001 }] },
  });
  t.equal(tooMuch.statusCode, 409, 'payments never exceed the award');
  const half = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    payload: { version: 2, payments: [{ paidOn: '2026-04-01', amountOre: 2_000_000 }] },
  });
  t.equal(half.statusCode, 200);
  t.equal((await transition(finance, grant.id, { to: 'paid', version: 3 })).json().code, 'NOT_FULLY_PAID');
  const full = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    payload: {
      version: 3,
      payments: [
        { paidOn: '2026-04-01', amountOre: 2_000_000 },
        { paidOn: '2026-09-01', amountOre: 2_000_000 },
      ],
    },
  });
  t.equal(full.json().paidOre, 4_000_000);
  const paid = await transition(finance, grant.id, { to: 'paid', version: 4 });
  t.equal(paid.statusCode, 200);

  t.equal((await transition(finance, grant.id, { to: 'accounted', version: 5 })).json().code, 'REPORT_MISSING');
  const report = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    payload: { version: 5, reportReceivedOn: '2027-05-20' },
  });
  t.equal(report.statusCode, 200);
  t.equal(
    (await transition(finance, grant.id, { to: 'accounted', version: 6 })).json().code,
    'ENDORSEMENT_MISSING',
    '20,000 kr. or more needs the auditor',
  );
  await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    payload: { version: 6, auditorEndorsed: true },
  });
  t.equal((await transition(finance, grant.id, { to: 'accounted', version: 7 })).statusCode, 200);
  const closed = await transition(finance, grant.id, { to: 'closed', version: 8 });
  t.equal(closed.statusCode, 200);
  t.equal(closed.json().status, 'closed');

  const stale = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    payload: { version: 3, title: 'Gammel' },
  });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'STALE_VERSION');
  t.equal(stale.json().current.version, 9);

  const overview = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` })).json();
  t.match(overview, {
    requestedOre: '5000000',
    awardedOre: '4000000',
    remainingOre: '6000000',
    paidOre: '4000000',
    outstandingOre: '0',
    grantsByStatus: { closed: 1 },
  });

  const audit = await h.database.rows<{ action: string }>(
    sql`select action from audit_log where entity = 'grant' order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['create', 'approved', 'update', 'update', 'paid', 'update', 'update', 'accounted', 'closed'],
    'every change is audited',
  );
});

t.test('the budget: refused with 409 unless finance overrides it, which the audit records', async (t) => {
  const { h, finance, group, actor, round } = await setup(t, 1_000_000);
  const a = (await apply(finance, round.id, actor.id, 800_000)).json();
  const b = (await apply(finance, round.id, actor.id, 500_000)).json();
  const split = (amountOre: number) => ({ targetGroupId: group('Hjemløshed'), amountOre });
  t.equal(
    (
      await transition(finance, a.id, {
        to: 'approved',
        version: 1,
        awardedOre: 800_000,
        targetGroupId: group('Hjemløshed'),
      })
    ).statusCode,
    200,
    'one click: all on one group',
  );
  const over = await transition(finance, b.id, {
    to: 'approved',
    version: 1,
    awardedOre: 500_000,
    allocations: [split(500_000)],
  });
  t.equal(over.statusCode, 409);
  t.match(over.json(), { code: 'GRANT_OVER_BUDGET', message: /restbeløb/ });
  const forced = await transition(finance, b.id, {
    to: 'approved',
    version: 1,
    awardedOre: 500_000,
    allocations: [split(500_000)],
    overrideBudget: true,
  });
  t.equal(forced.statusCode, 200);
  t.equal(forced.json().budgetOverride, true);
  const rows = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_log where action = 'approve_over_budget'`,
  );
  t.equal(rows[0]?.n, 1);
  t.equal(
    (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` })).json().remainingOre,
    '-300000',
  );

  const decided = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${round.id}`,
    payload: { version: 1, status: 'decided' },
  });
  t.equal(decided.statusCode, 409, 'a round moves one step at a time');
  for (const [status, version] of [
    ['open', 1],
    ['closed', 2],
    ['decided', 3],
  ] as const) {
    t.equal(
      (await finance.inject({ method: 'PATCH', url: `/api/v1/grant-rounds/${round.id}`, payload: { version, status } }))
        .statusCode,
      200,
      status,
    );
  }
  t.equal(
    (await apply(finance, round.id, actor.id, 1)).json().code,
    'ROUND_DECIDED',
    'a decided round takes no more applications',
  );
});

t.test('the database refuses a split that does not add up, even from raw SQL', async (t) => {
  const { h, finance, group, actor, round } = await setup(t);
  const g = (await apply(finance, round.id, actor.id, 100_000)).json();
  await transition(finance, g.id, {
    to: 'approved',
    version: 1,
    awardedOre: 100_000,
    targetGroupId: group('Hjemløshed'),
  });
  const attempt = async (statement: ReturnType<typeof sql>) => {
    try {
      await h.database.db.transaction(async (tx) => {
        await tx.execute(statement);
      });
      return 'committed';
    } catch (err) {
      const e = err as Error & { cause?: Error };
      return e.cause?.message ?? e.message;
    }
  };
  t.match(
    await attempt(sql`update grant_allocations set amount_ore = 90000 where grant_id = ${g.id}`),
    /must add up to the amount awarded/,
  );
  t.match(
    await attempt(sql`update grants set awarded_ore = 120000 where id = ${g.id}`),
    /must add up to the amount awarded/,
  );
  t.match(
    await attempt(
      sql`insert into grant_payments (grant_id, paid_on, amount_ore) values (${g.id}, '2026-05-01', 100001)`,
    ),
    /net payments/,
  );
  t.equal(
    await attempt(
      sql`insert into grant_payments (grant_id, paid_on, amount_ore) values (${g.id}, '2026-05-01', 100000)`,
    ),
    'committed',
  );
});

t.test('overdue reports: listed, filtered, and a warning when the actor applies again', async (t) => {
  const { finance, group, actor, round } = await setup(t);
  const old = (await apply(finance, round.id, actor.id, 50_000)).json();
  await transition(finance, old.id, {
    to: 'approved',
    version: 1,
    awardedOre: 50_000,
    targetGroupId: group('Hjemløshed'),
  });
  await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${old.id}`,
    payload: { version: 2, reportDueOn: '2025-06-01' },
  });
  const listed = (await finance.inject({ method: 'GET', url: '/api/v1/grants?overdue=true' })).json();
  t.same(
    listed.items.map((i: { id: number }) => i.id),
    [old.id],
  );
  t.equal(listed.items[0].reportOverdue, true);
  const again = (await apply(finance, round.id, actor.id, 10_000)).json();
  t.same(again.warnings, ['ACTOR_HAS_OVERDUE_REPORT']);
  const all = (await finance.inject({ method: 'GET', url: `/api/v1/grants?roundId=${round.id}` })).json();
  t.match(all, { total: 2, requestedOre: '60000', awardedOre: '50000' }, 'totals under the list');
  const byGroup = (
    await finance.inject({ method: 'GET', url: `/api/v1/grants?targetGroupId=${group('Socialt problem')}` })
  ).json();
  t.equal(byGroup.total, 1, 'a target group includes its sub-groups');
  const inKind = await apply(finance, round.id, actor.id, 20_000, { kind: 'in_kind' });
  t.equal(inKind.statusCode, 400, 'in-kind support needs its description');
});

t.test(
  'concurrency on PostgreSQL',
  { skip: !onPostgres && 'PostgreSQL only: PGlite runs one transaction at a time' },
  async (t) => {
    const { h, finance, group, actor, round } = await setup(t, 1_000_000);
    const applications = await Promise.all(
      Array.from({ length: 10 }, () => apply(finance, round.id, actor.id, 150_000)),
    );
    const ids = applications.map((r) => r.json().id as number);
    const awards = await Promise.all(
      ids.map((id) =>
        transition(finance, id, {
          to: 'approved',
          version: 1,
          awardedOre: 150_000,
          targetGroupId: group('Hjemløshed'),
        }),
      ),
    );
    t.equal(awards.filter((r) => r.statusCode === 200).length, 6, 'exactly as many awards as the budget holds');
    t.ok(awards.every((r) => r.statusCode === 200 || r.json().code === 'GRANT_OVER_BUDGET'));
    const overview = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` })).json();
    t.equal(overview.awardedOre, '900000');
    t.ok(BigInt(overview.remainingOre) >= 0n, 'never over budget');

    // 10 writers × 50 edits on one grant, each reading the version first.
    const target = ids[0] as number;
    const startVersion = (await finance.inject({ method: 'GET', url: `/api/v1/grants/${target}` })).json()
      .version as number;
    let ok = 0;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = 0; i < 50; i++) {
          const current = (await finance.inject({ method: 'GET', url: `/api/v1/grants/${target}` })).json();
          const res = await finance.inject({
            method: 'PATCH',
            url: `/api/v1/grants/${target}`,
            payload: { version: current.version, purpose: `skriver ${w} redigering ${i}` },
          });
          if (res.statusCode === 200) ok += 1;
          else if (res.statusCode === 409) conflicts += 1;
        }
      }),
    );
    t.equal(ok + conflicts, 500, 'every edit either succeeded or got 409');
    const final = (await finance.inject({ method: 'GET', url: `/api/v1/grants/${target}` })).json();
    const audited = await h.database.rows<{ n: number }>(
      sql`select count(*)::int as n from audit_log where entity = 'grant' and entity_id = ${String(target)} and action = 'update'`,
    );
    t.equal(audited[0]?.n, ok, 'exactly one audit record per successful edit');
    t.equal(final.version, startVersion + ok, 'no lost update: the version counts every successful edit');
    t.comment(`${ok} edits succeeded, ${conflicts} got 409`);
  },
);

t.test('the sum paid kept on each grant follows its payments, whoever writes them', async (t) => {
  const { h, finance, group, actor, round } = await setup(t);
  const approve = async () => {
    const g = (await apply(finance, round.id, actor.id, 100_000)).json();
    const res = await transition(finance, g.id, {
      to: 'approved',
      version: 1,
      awardedOre: 100_000,
      targetGroupId: group('Hjemløshed'),
    });
    t.equal(res.statusCode, 200, res.body);
    return g.id as number;
  };
  const a = await approve();
  const b = await approve();
  const kept = async () =>
    Object.fromEntries(
      (
        await h.database.rows<{ id: number; paid: string }>(
          sql`select id, paid_ore::text as paid from grants where id in (${a}, ${b})`,
        )
      ).map((r) => [Number(r.id) === a ? 'a' : 'b', Number(r.paid)]),
    );
  const totalPaid = async () =>
    (await finance.inject({ method: 'GET', url: `/api/v1/grants?roundId=${round.id}` })).json().paidOre;
  t.same(await kept(), { a: 0, b: 0 }, 'nothing paid yet');

  // Through the API: the whole list of payments, then one corrected.
  const listed = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${a}`,
    payload: {
      version: 2,
      payments: [
        { paidOn: '2026-04-01', amountOre: 30_000 },
        { paidOn: '2026-06-01', amountOre: 20_000 },
      ],
    },
  });
  t.equal(listed.statusCode, 200, listed.body);
  t.same(await kept(), { a: 50_000, b: 0 }, 'a list of payments');
  const second = (listed.json().payments as { id: number; amountOre: number }[]).find((p) => p.amountOre === 20_000);
  const corrected = await finance.inject({
    method: 'PUT',
    url: `/api/v1/grants/${a}/payments/${second?.id}`,
    payload: { version: 3, kind: 'payment', paidOn: '2026-06-01', amountOre: 25_000 },
  });
  t.equal(corrected.statusCode, 200, corrected.body);
  t.same(await kept(), { a: 55_000, b: 0 }, 'a payment corrected');
  t.equal(await totalPaid(), '55000', 'the list’s total');

  // Written by hand, several grants in one statement: a repayment and a payment.
  const write = async (statement: ReturnType<typeof sql>) =>
    h.database.db.transaction(async (tx) => {
      await tx.execute(statement);
    });
  await write(sql`insert into grant_payments (grant_id, kind, paid_on, amount_ore)
    values (${a}, 'repayment', '2026-09-01', 5000), (${b}, 'payment', '2026-09-01', 10000), (${b}, 'payment', '2026-10-01', 1)`);
  t.same(await kept(), { a: 50_000, b: 10_001 }, 'one statement, two grants');
  await write(sql`update grant_payments set grant_id = ${a} where grant_id = ${b} and amount_ore = 10000`);
  t.same(await kept(), { a: 60_000, b: 1 }, 'a payment moved to another grant');
  await write(sql`update grant_payments set kind = 'repayment' where grant_id = ${a} and amount_ore = 5000`);
  t.same(await kept(), { a: 60_000, b: 1 }, 'a repayment that stays one changes nothing');
  await write(sql`delete from grant_payments where grant_id = ${b}`);
  t.same(await kept(), { a: 60_000, b: 0 }, 'deleted');
  t.equal(await totalPaid(), '60000');

  // The sum cannot be written apart from the payments.
  await t.rejects(write(sql`update grants set paid_ore = paid_ore + 1 where id = ${a}`), 'refused at commit');
  t.same(await kept(), { a: 60_000, b: 0 });

  // The list pages read the sum off the grants: none of their statements reads the payments.
  const recorder = recordStatements(h.database);
  t.teardown(recorder.stop);
  const page = await finance.inject({ method: 'GET', url: `/grants?roundId=${round.id}` });
  recorder.stop();
  t.equal(page.statusCode, 200);
  t.match(page.body, /600,00 kr\./, 'the paid column shows the sum kept');
  const reads = recorder.sent.filter(([text]) => /\bgrants\b/.test(text));
  t.ok(reads.length > 0, 'the page read the grants');
  t.notOk(
    reads.some(([text]) => /grant_payments/.test(text)),
    'and not their payments',
  );
});
