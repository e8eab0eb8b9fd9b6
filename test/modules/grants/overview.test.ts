import { sql } from 'drizzle-orm';
import t from 'tap';
import { grantAllocations, grantPayments, grants } from '../../../src/db/schema/index.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/** A small seeded generator (mulberry32), so the data set is the same every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('with 1,000 random grants, the round overview equals an independent computation', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const rnd = random(20261122);
  const pick = <T>(list: T[]): T => list[Math.floor(rnd() * list.length)] as T;

  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    parentId: number | null;
    nameDa: string;
  }[];
  const stof = groups.find((g) => g.nameDa === 'Stofmisbrug');
  const local = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa: 'Meget belastede stofmisbrugere', parentId: stof?.id },
    })
  ).json();
  const allGroups = [...groups, local] as { id: number; parentId: number | null }[];
  const actors: number[] = [];
  for (let i = 0; i < 5; i++) {
    actors.push(
      (
        await h.inject({
          method: 'POST',
          url: '/api/v1/actors?allowSimilar=true',
          payload: actorInput({ name: `Forening ${i}` }),
        })
      ).json().id as number,
    );
  }
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Stor pulje', budgetOre: 50_000_000_000 },
    })
  ).json();

  const statuses = ['applied', 'approved', 'rejected', 'withdrawn', 'paid', 'accounted', 'closed'] as const;
  await h.database.db.transaction(async (tx) => {
    for (let i = 0; i < 1000; i++) {
      const status = pick([...statuses]);
      const requestedOre = 1 + Math.floor(rnd() * 50_000_000);
      const awarded = ['approved', 'paid', 'accounted', 'closed'].includes(status);
      const awardedOre = awarded ? 1 + Math.floor(rnd() * requestedOre) : null;
      const [g] = await tx
        .insert(grants)
        .values({
          roundId: round.id,
          actorId: pick(actors),
          title: `Bevilling ${i}`,
          requestedOre,
          awardedOre,
          status,
          reportDueOn: '2027-06-01',
        })
        .returning({ id: grants.id });
      if (!g || awardedOre === null) continue;
      // Split over 1–3 distinct groups, the lines adding up to the award.
      const chosen = [...new Set([pick(allGroups).id, pick(allGroups).id, pick(allGroups).id])].slice(
        0,
        1 + Math.floor(rnd() * 3),
      );
      let left = awardedOre;
      const lines = chosen
        .map((targetGroupId, k) => {
          const amountOre = k === chosen.length - 1 ? left : Math.max(1, Math.floor(left * rnd() * 0.9));
          left -= amountOre;
          return { grantId: g.id, targetGroupId, amountOre };
        })
        .filter((l) => l.amountOre > 0);
      await tx.insert(grantAllocations).values(lines);
      const paid = Math.floor(rnd() * awardedOre);
      if (paid > 0) {
        await tx
          .insert(grantPayments)
          .values({ grantId: g.id, paidOn: '2026-06-01', amountOre: paid + 100 > awardedOre ? paid : paid + 100 });
        if (paid + 100 <= awardedOre)
          await tx
            .insert(grantPayments)
            .values({ grantId: g.id, kind: 'repayment', paidOn: '2026-12-01', amountOre: 100 });
      }
    }
  });

  // The independent computation: raw rows, added up in JavaScript.
  const rows = await h.database.rows<{ id: number; status: string; requested_ore: string; awarded_ore: string | null }>(
    sql`select id, status, requested_ore::text, awarded_ore::text from grants where round_id = ${round.id}`,
  );
  const payments = await h.database.rows<{ grant_id: number; kind: string; amount_ore: string }>(
    sql`select grant_id, kind, amount_ore::text from grant_payments`,
  );
  const allocations = await h.database.rows<{ grant_id: number; target_group_id: number; amount_ore: string }>(
    sql`select grant_id, target_group_id, amount_ore::text from grant_allocations`,
  );
  const isAwarded = (s: string) => ['approved', 'paid', 'accounted', 'closed'].includes(s);
  const paidOf = new Map<number, number>();
  for (const p of payments)
    paidOf.set(p.grant_id, (paidOf.get(p.grant_id) ?? 0) + (p.kind === 'payment' ? 1 : -1) * Number(p.amount_ore));
  const expected = {
    requestedOre: rows.reduce((s, r) => s + Number(r.requested_ore), 0),
    awardedOre: rows.filter((r) => isAwarded(r.status)).reduce((s, r) => s + Number(r.awarded_ore), 0),
    paidOre: rows.reduce((s, r) => s + (paidOf.get(r.id) ?? 0), 0),
    grantsByStatus: Object.fromEntries(
      statuses.map((s) => [s, rows.filter((r) => r.status === s).length]).filter(([, n]) => n !== 0),
    ),
  };
  const parentOf = new Map(allGroups.map((g) => [g.id, g.parentId]));
  const statusOf = new Map(rows.map((r) => [r.id, r.status]));
  const byGroup = new Map<number, number>();
  for (const a of allocations) {
    if (!isAwarded(statusOf.get(a.grant_id) ?? '')) continue;
    for (let g: number | null | undefined = a.target_group_id; g; g = parentOf.get(g))
      byGroup.set(g, (byGroup.get(g) ?? 0) + Number(a.amount_ore));
  }

  const res = await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` });
  t.equal(res.statusCode, 200);
  const overview = res.json();
  t.equal(rows.length, 1000);
  t.equal(overview.requestedOre, String(expected.requestedOre), 'requested');
  t.equal(overview.awardedOre, String(expected.awardedOre), 'awarded');
  t.equal(overview.remainingOre, String(50_000_000_000 - expected.awardedOre), 'remaining');
  t.equal(overview.paidOre, String(expected.paidOre), 'paid, net of repayments');
  t.equal(overview.outstandingOre, String(expected.awardedOre - expected.paidOre), 'outstanding');
  t.same(overview.grantsByStatus, expected.grantsByStatus, 'grants in each status');
  const apiGroups = new Map<number, number>(
    overview.byTargetGroup.map((g: { targetGroupId: number; awardedOre: string }) => [
      g.targetGroupId,
      Number(g.awardedOre),
    ]),
  );
  t.same(
    Object.fromEntries(apiGroups),
    Object.fromEntries(byGroup),
    'awarded by target group, rolled up the tree once per ancestor',
  );
  const roots = overview.byTargetGroup.filter((g: { targetGroupId: number }) => parentOf.get(g.targetGroupId) === null);
  t.equal(
    roots.reduce((s: number, g: { awardedOre: string }) => s + Number(g.awardedOre), 0),
    expected.awardedOre,
    'the roots add up to the total',
  );
});
