import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client } from '../../helper.ts';

type Group = { id: number; nameDa: string; parentId: number | null; municipalityCode: number | null };
type Row = {
  targetGroupId: number;
  nameDa: string;
  needPeople: number;
  needShare: number | null;
  awardedOre: string;
  inKindOre: string;
  fundingShare: number | null;
  index: number | null;
  actorCount: number;
  grantCount: number;
  agreementCount: number;
  flag: string;
};

async function setup(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as Group[];
  const group = (name: string) => {
    const g = groups.find((x) => x.nameDa === name);
    if (!g) throw new Error(`no group ${name}`);
    return g.id;
  };
  return { h, finance, groups, group };
}

/** An awarded grant with its allocations, through the API. */
async function award(
  finance: Client,
  roundId: number,
  actorId: number,
  lines: { targetGroupId: number; amountOre: number }[],
  kind: 'money' | 'in_kind' = 'money',
) {
  const total = lines.reduce((s, l) => s + l.amountOre, 0);
  const grant = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: {
      roundId,
      actorId,
      title: `Bevilling ${total}`,
      requestedOre: total,
      kind,
      ...(kind === 'in_kind' ? { inKindDescription: 'Lokaler to aftener om ugen' } : {}),
    },
  });
  if (grant.statusCode !== 201) throw new Error(grant.body);
  const res = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.json().id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: total, allocations: lines, overrideBudget: true },
  });
  if (res.statusCode !== 200) throw new Error(res.body);
  return grant.json().id as number;
}

const report = async (client: Client, query: string) => {
  const res = await client.inject({ method: 'GET', url: `/api/v1/reports/proportionality?${query}` });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.json() as { rows: Row[]; totalNeedPeople: number; totalAwardedOre: string; scope: string };
};

t.test('heavy drug users with 10 % of the need and 2 % of the money are underserved', async (t) => {
  const { h, finance, group } = await setup(t);
  const heavy = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa: 'Meget belastede stofmisbrugere', parentId: group('Stofmisbrug'), municipalityCode: 101 },
    })
  ).json().id as number;
  const put = await finance.inject({
    method: 'PUT',
    url: '/api/v1/need-estimates?municipalityCode=101&year=2026',
    payload: [
      { targetGroupId: group('Hjemløshed'), people: 400, source: 'SFI-tælling 2025' },
      { targetGroupId: heavy, people: 100, source: 'Misbrugscentret' },
      { targetGroupId: group('Alkoholmisbrug'), people: 400 },
      { targetGroupId: group('Prostitution'), people: 100 },
    ],
  });
  t.equal(put.statusCode, 200, put.body);

  const actor = (name: string, groups: number[]) =>
    h
      .inject({
        method: 'POST',
        url: '/api/v1/actors',
        payload: actorInput({ name, targetGroupIds: groups, contacts: [], cvr: validCvr(name.length * 97) }),
      })
      .then((r) => r.json().id as number);
  const shelter = await actor('Herberget Nørrebro', [group('Hjemløshed')]);
  const drugs = await actor('Fixelokalet Mændenes Hjem', [heavy]);
  const alcohol = await actor('Alkoholrådgivningen', [group('Alkoholmisbrug')]);
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 100_000_000 },
    })
  ).json();
  await award(finance, round.id, shelter, [{ targetGroupId: group('Hjemløshed'), amountOre: 60_000_000 }]);
  await award(finance, round.id, alcohol, [{ targetGroupId: group('Alkoholmisbrug'), amountOre: 38_000_000 }]);
  await award(finance, round.id, drugs, [{ targetGroupId: heavy, amountOre: 2_000_000 }]);
  // In-kind support to a group with no estimate: flagged, but no part of the money shares.
  await award(
    finance,
    round.id,
    shelter,
    [{ targetGroupId: group('Social isolation'), amountOre: 500_000 }],
    'in_kind',
  );

  const r = await report(finance, 'municipalityCode=101&year=2026');
  const row = (id: number) => r.rows.find((x) => x.targetGroupId === id) as Row;
  t.equal(r.totalNeedPeople, 1000, 'each person counted once');
  t.equal(r.totalAwardedOre, '100000000', 'each grant counted once; in-kind apart');
  t.match(row(heavy), { needPeople: 100, awardedOre: '2000000', actorCount: 1, flag: 'underserved' });
  t.equal(row(heavy).needShare, 0.1);
  t.equal(row(heavy).fundingShare, 0.02);
  t.ok(Math.abs((row(heavy).index ?? 0) - 0.2) < 1e-9, 'index = 0.02 ÷ 0.1');
  t.match(row(group('Stofmisbrug')), { needPeople: 100, awardedOre: '2000000', flag: 'underserved' }, 'rolled up');
  t.match(row(group('Misbrug')), { needPeople: 500, awardedOre: '40000000' });
  t.match(row(group('Prostitution')), { needPeople: 100, awardedOre: '0', grantCount: 0, flag: 'no_offer' });
  t.equal(row(group('Prostitution')).actorCount, 0, 'no actor serves it');
  t.match(row(group('Social isolation')), { needPeople: 0, inKindOre: '500000', awardedOre: '0', flag: 'no_estimate' });
  t.match(row(group('Hjemløshed')), { flag: 'ok' });
  t.equal(r.rows[0]?.flag, 'no_offer', 'worst first');
  const flags = r.rows.map((x) => x.flag);
  t.ok(
    flags.lastIndexOf('no_offer') < flags.indexOf('underserved') &&
      flags.lastIndexOf('underserved') < flags.indexOf('no_estimate'),
    'no offer, then underserved, then no estimate',
  );
  const underserved = r.rows.filter((x) => x.flag === 'underserved').map((x) => x.index ?? 0);
  t.same(
    underserved,
    [...underserved].sort((a, b) => a - b),
    'the lowest index first',
  );

  const stricter = await report(finance, 'municipalityCode=101&year=2026&threshold=0.1');
  t.equal(stricter.rows.find((x) => x.targetGroupId === heavy)?.flag, 'ok', 'the threshold can be set');

  // Another municipality's local group and money stay out of København's report, and in the region's.
  const region = await report(finance, 'regionCode=1084&year=2026');
  t.equal(region.scope, 'region:1084');
  t.equal(region.totalAwardedOre, '100000000');
  const national = await report(finance, 'scope=national&year=2026');
  t.equal(national.totalNeedPeople, 1000);
  const other = await report(finance, 'municipalityCode=751&year=2026');
  t.notOk(
    other.rows.some((x) => x.targetGroupId === heavy),
    'a local group is only in reports that cover its municipality',
  );
  t.equal(other.totalAwardedOre, '0');

  const bad = await finance.inject({
    method: 'GET',
    url: '/api/v1/reports/proportionality?municipalityCode=101&regionCode=1084&year=2026',
  });
  t.equal(bad.statusCode, 400, 'one scope at a time');
  t.equal(
    (await finance.inject({ method: 'GET', url: '/api/v1/reports/proportionality?municipalityCode=101' })).statusCode,
    400,
    'a year is needed',
  );
});

t.test('a parent’s own estimate counts instead of its sub-groups’, and a grant once for each ancestor', async (t) => {
  const { finance, group, h } = await setup(t);
  await finance.inject({
    method: 'PUT',
    url: '/api/v1/need-estimates?municipalityCode=101&year=2026',
    payload: [
      { targetGroupId: group('Misbrug'), people: 300 },
      { targetGroupId: group('Stofmisbrug'), people: 120 },
      { targetGroupId: group('Alkoholmisbrug'), people: 150 },
      { targetGroupId: group('Hjemløshed'), people: 200 },
    ],
  });
  const actor = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Kirkens Korshær', contacts: [] }),
    })
  ).json().id;
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Puljen', budgetOre: 10_000_000 },
    })
  ).json();
  await award(finance, round.id, actor, [
    { targetGroupId: group('Stofmisbrug'), amountOre: 300_000 },
    { targetGroupId: group('Alkoholmisbrug'), amountOre: 200_000 },
  ]);
  const r = await report(finance, 'municipalityCode=101&year=2026');
  const row = (name: string) => r.rows.find((x) => x.nameDa === name) as Row;
  t.equal(row('Misbrug').needPeople, 300, 'its own estimate, not 120 + 150');
  t.equal(row('Socialt problem').needPeople, 500, '300 under Misbrug and 200 under Hjemløshed');
  t.equal(r.totalNeedPeople, 500);
  t.match(row('Misbrug'), { awardedOre: '500000', grantCount: 1 }, 'both lines count, the grant once');
  t.match(row('Socialt problem'), { awardedOre: '500000', grantCount: 1 });
});

t.test('property: every roll-up equals an independently computed sum, on random data', async (t) => {
  const { h, groups } = await setup(t);
  const ffb = groups.filter((g) => g.municipalityCode === null);
  const children = new Map<number | null, number[]>();
  for (const g of ffb) children.set(g.parentId, [...(children.get(g.parentId) ?? []), g.id]);
  const descendants = (id: number): number[] => [id, ...(children.get(id) ?? []).flatMap(descendants)];
  const actorId = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Tilfældig forening' }) })
  ).json().id as number;
  const ids = ffb.map((g) => g.id);
  const data = fc.record({
    estimates: fc.uniqueArray(fc.record({ g: fc.constantFrom(...ids), people: fc.integer({ min: 0, max: 5000 }) }), {
      selector: (e) => e.g,
      maxLength: 25,
    }),
    grants: fc.array(
      fc.uniqueArray(fc.record({ g: fc.constantFrom(...ids), amount: fc.integer({ min: 1, max: 10_000_000 }) }), {
        selector: (l) => l.g,
        minLength: 1,
        maxLength: 4,
      }),
      { maxLength: 12 },
    ),
  });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(data, async ({ estimates, grants }) => {
      runs += 1;
      await h.database.db.transaction(async (tx) => {
        await tx.execute(sql`delete from grant_allocations`);
        await tx.execute(sql`delete from grant_payments`);
        await tx.execute(sql`delete from grants`);
        await tx.execute(sql`delete from grant_rounds`);
        await tx.execute(sql`delete from need_estimates`);
        for (const e of estimates)
          await tx.execute(
            sql`insert into need_estimates (municipality_code, target_group_id, year, people) values (101, ${e.g}, 2026, ${e.people})`,
          );
        const [round] = await h.database.rows<{ id: number }>(
          sql`insert into grant_rounds (municipality_code, year, name, budget_ore) values (101, 2026, 'P', 0) returning id`,
          tx,
        );
        const roundId = Number(round?.id);
        for (const lines of grants) {
          const total = lines.reduce((s, l) => s + l.amount, 0);
          const [inserted] = await h.database.rows<{ id: number }>(
            sql`insert into grants (round_id, actor_id, title, requested_ore, awarded_ore, status, report_due_on)
                values (${roundId}, ${actorId}, 'G', ${total}, ${total}, 'approved', '2027-06-01') returning id`,
            tx,
          );
          const grantId = Number(inserted?.id);
          for (const l of lines)
            await tx.execute(
              sql`insert into grant_allocations (grant_id, target_group_id, amount_ore) values (${grantId}, ${l.g}, ${l.amount})`,
            );
        }
      });
      const r = await report(h, 'municipalityCode=101&year=2026');
      const est = new Map(estimates.map((e) => [e.g, e.people]));
      const need = (id: number): number => est.get(id) ?? (children.get(id) ?? []).reduce((s, c) => s + need(c), 0);
      const roots = children.get(null) ?? [];
      const expectedTotalNeed = roots.reduce((s, g) => s + need(g), 0);
      const expectedTotalMoney = grants.flat().reduce((s, l) => s + l.amount, 0);
      if (r.totalNeedPeople !== expectedTotalNeed) return false;
      if (r.totalAwardedOre !== String(expectedTotalMoney)) return false;
      for (const g of ffb) {
        const row = r.rows.find((x) => x.targetGroupId === g.id);
        if (!row) return false;
        const sub = new Set(descendants(g.id));
        const money = grants.flat().reduce((s, l) => s + (sub.has(l.g) ? l.amount : 0), 0);
        const count = grants.filter((lines) => lines.some((l) => sub.has(l.g))).length;
        if (row.needPeople !== need(g.id) || row.awardedOre !== String(money) || row.grantCount !== count) return false;
      }
      return true;
    }),
    { seed: 4242, numRuns: 40 },
  );
  t.equal(runs, 40, '40 random data sets checked');
});

t.test('the report page: chart, tree, drill-down and exports', async (t) => {
  const { finance, group } = await setup(t);
  await finance.inject({
    method: 'PUT',
    url: '/api/v1/need-estimates?municipalityCode=101&year=2026',
    payload: [{ targetGroupId: group('Stofmisbrug'), people: 50 }],
  });
  const page = await finance.inject({ method: 'GET', url: '/reports/proportionality?area=municipality:101&year=2026' });
  t.equal(page.statusCode, 200);
  t.match(page.body, /<svg[^>]*role="img"[^>]*aria-labelledby="chart-title chart-desc"/);
  t.match(page.body, /Socialt problem/);
  t.notMatch(page.body.slice(page.body.indexOf('id="report-table"')), />Stofmisbrug</, 'deeper groups are folded in');
  const misbrug = group('Misbrug');
  t.match(page.body, new RegExp(`expand=${misbrug}`), 'and can be unfolded');
  const unfolded = await finance.inject({
    method: 'GET',
    url: `/reports/proportionality?area=municipality:101&year=2026&expand=${misbrug}`,
    headers: { 'hx-request': 'true', 'hx-target': 'report' },
  });
  t.notMatch(unfolded.body, /<html/, 'htmx gets the report only');
  t.match(unfolded.body, /Stofmisbrug/);
  t.match(
    unfolded.body,
    new RegExp(`/grants\\?targetGroupId=${group('Stofmisbrug')}&amp;municipalityCode=101&amp;year=2026`),
  );
  t.match(unfolded.body, /Intet tilbud/);
  const strict = await finance.inject({
    method: 'GET',
    url: '/reports/proportionality?area=municipality:101&year=2026&threshold=0%2C3',
  });
  t.match(strict.body, /id="filter-threshold"[^>]*value="0,3"/, 'a Danish decimal comma is understood');
  const csv = await finance.inject({
    method: 'GET',
    url: '/reports/proportionality/export.csv?area=municipality:101&year=2026',
  });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv/);
  t.match(csv.body, /^\ufeffMålgruppe;/);
  t.match(csv.body, /Stofmisbrug;3;50;/);
  const xlsx = await finance.inject({
    method: 'GET',
    url: '/reports/proportionality/export.xlsx?area=region:1084&year=2026',
  });
  t.equal(xlsx.statusCode, 200);
  t.equal(xlsx.rawPayload.subarray(0, 2).toString(), 'PK', 'an xlsx (zip) file');
});

t.test('shared actors, their matrix, and suspected duplicates across municipalities', async (t) => {
  const { h, finance } = await setup(t);
  const aarhus = await h.as('admin', 751);
  const aarhusFinance = await h.as('finance', 751);
  const shared = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({
        name: 'Blå Kors Danmark',
        municipalityCodes: [101, 147, 751],
        contacts: [],
        cvr: validCvr(3),
      }),
    })
  ).json().id;
  await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Gadens Stemme København', municipalityCodes: [101], contacts: [] }),
  });
  await aarhus.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput({
      name: 'Gadens Stemme Kobenhavn',
      homeMunicipalityCode: 751,
      municipalityCodes: [751],
      contacts: [],
    }),
  });
  const round101 = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'P', budgetOre: 9e9 },
    })
  ).json();
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as Group[];
  await award(finance, round101.id, shared, [{ targetGroupId: groups[1]?.id ?? 0, amountOre: 1_000_000 }]);
  const round751 = (
    await aarhusFinance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'P', budgetOre: 9e9 },
    })
  ).json();
  await award(aarhusFinance, round751.id, shared, [{ targetGroupId: groups[1]?.id ?? 0, amountOre: 250_000 }]);

  const national = (await finance.inject({ method: 'GET', url: '/api/v1/reports/shared-actors?year=2026' })).json();
  const blue = national.actors.find((a: { actorId: number }) => a.actorId === shared);
  t.ok(blue, 'an actor in three municipalities is shared');
  t.same(blue.fundedBy, [101, 751]);
  t.same(blue.servedUnfunded, [147], 'Frederiksberg is served without funding');
  t.equal(blue.totalAwardedOre, '1250000');
  const codes = national.municipalities.map((m: { code: number }) => m.code);
  const cell = (a: number, b: number) => national.matrix[codes.indexOf(a)].shared[codes.indexOf(b)];
  t.equal(cell(101, 751), 1, 'København and Aarhus share one actor');
  t.equal(cell(751, 101), 1, 'the matrix is symmetric');
  t.equal(cell(101, 101), 0);
  t.ok(
    national.suspectedDuplicates.some(
      (d: { aName: string; bName: string; reason: string }) =>
        [d.aName, d.bName].sort().join('|') === 'Gadens Stemme Kobenhavn|Gadens Stemme København' &&
        d.reason === 'similar_name',
    ),
    'the same association registered by two municipalities is suspected',
  );

  const capital = (
    await finance.inject({ method: 'GET', url: '/api/v1/reports/shared-actors?regionCode=1084&year=2026' })
  ).json();
  const blueInCapital = capital.actors.find((a: { actorId: number }) => a.actorId === shared);
  t.same(
    blueInCapital.municipalities.map((m: { municipalityCode: number }) => m.municipalityCode),
    [101, 147],
    'a region report counts only its own municipalities',
  );
  const pageRes = await finance.inject({ method: 'GET', url: '/reports/shared-actors?regionCode=all&year=2026' });
  t.equal(pageRes.statusCode, 200);
  t.match(pageRes.body, /Blå Kors Danmark/);
  t.match(pageRes.body, /hx-get="\/reports\/shared-actors\/duplicates"/, 'the duplicates load after the page');
  // The capital region's page has the matrix (the country's 98 municipalities are too many for one).
  const capitalPage = (await finance.inject({ method: 'GET', url: '/reports/shared-actors?regionCode=1084&year=2026' }))
    .body;
  const matrixRow = (name: string) =>
    new RegExp(`<tr><th scope="row">${name}</th>((?:<td>[^<]*</td>)+)</tr>`).exec(capitalPage)?.[1];
  const capitalCodes = capital.municipalities.map((m: { code: number }) => m.code);
  const at = (code: number) => capitalCodes.indexOf(code);
  const cells = (html: string | undefined) => [...(html ?? '').matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
  const row101 = cells(matrixRow('København'));
  t.equal(row101.length, capitalCodes.length, 'a cell for each municipality of the region');
  t.equal(row101[at(147)], '1', 'København shares one actor with Frederiksberg');
  t.equal(row101[at(101)], '&#8211;', 'and none is counted with itself');
  t.equal(cells(matrixRow('Frederiksberg'))[at(101)], '1', 'the same the other way');
  const dupes = await finance.inject({
    method: 'GET',
    url: '/reports/shared-actors/duplicates',
    headers: { 'hx-request': 'true' },
  });
  t.match(dupes.body, /lignende navn/);
  t.notMatch(dupes.body, /<html/);
});

t.test('shared actors are listed fifty to a page, and the count and matrix cover them all', async (t) => {
  const { h, finance } = await setup(t);
  for (let i = 1; i <= 53; i++) {
    const res = await h.inject({
      method: 'POST',
      url: '/api/v1/actors?allowSimilar=true',
      payload: actorInput({
        name: `Fællesforening ${String(i).padStart(2, '0')}`,
        municipalityCodes: [101, 147],
        contacts: [],
      }),
    });
    t.equal(res.statusCode, 201);
  }
  const page = async (q: string) => (await finance.inject({ method: 'GET', url: `/reports/shared-actors?${q}` })).body;
  const rows = (html: string) =>
    [...html.matchAll(/<th scope="row"><a href="\/actors\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
  const first = await page('regionCode=1084&year=2026');
  t.match(first, /53 delte aktører/, 'the heading counts all of them');
  t.equal(rows(first).length, 50, 'fifty on the first page');
  t.match(first, /Side 1 af 2/);
  t.match(first, /href="\/reports\/shared-actors\?regionCode=1084&amp;year=2026&amp;page=2" rel="next"/);
  t.notMatch(first, /rel="prev"/);
  const second = await page('regionCode=1084&year=2026&page=2');
  t.equal(rows(second).length, 3, 'the rest on the second');
  t.match(second, /Side 2 af 2/);
  t.match(second, /rel="prev"/);
  t.same(new Set([...rows(first), ...rows(second)]).size, 53, 'each actor on one page');
  t.match(second, /<td>53<\/td>/, 'the matrix counts all 53 shared by the two municipalities');
  t.equal(rows(await page('regionCode=1084&year=2026&page=99')).length, 3, 'a page past the end shows the last');
  // What is no region or no page is dropped: the user's own region (København's), the first page.
  const lenient = await page('regionCode=9999&year=2026&page=x');
  t.equal(rows(lenient).length, 50, 'a malformed region and page: the first page');
  t.match(lenient, /Side 1 af 2/);
  t.match(lenient, /<option value="1084" selected>/, "the user's own region chosen");
});

/** The 2026 round of København, decided on 1 April, through the API. */
async function openRound2026(finance: Client): Promise<{ id: number }> {
  const res = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 100_000_000, decisionOn: '2026-04-01' },
  });
  return res.json();
}

/** ajv over the official 360Giving 1.4.3 package and grant schemas (see test/fixtures/360giving). */
async function packageValidator() {
  const { default: Ajv2020 } = await import('ajv/dist/2020.js');
  const { default: addFormats } = await import('ajv-formats');
  const read = (f: string) =>
    JSON.parse(readFileSync(new URL(`../../fixtures/360giving/${f}`, import.meta.url), 'utf8'));
  const pkg = read('360-giving-package-schema.json');
  const grant = read('360-giving-schema.json');
  grant.$id = pkg.properties.grants.items.$ref;
  const ajv = new (
    Ajv2020 as unknown as new (
      o: object,
    ) => {
      addSchema(s: object): void;
      compile(s: object): ((d: unknown) => boolean) & { errors?: unknown };
    }
  )({ validateSchema: false, strict: false, allErrors: true });
  (addFormats as unknown as (a: unknown) => void)(ajv);
  ajv.addSchema(grant);
  return ajv.compile(pkg);
}

t.test('the 360Giving export is valid against the official schema', async (t) => {
  const { h, finance, group } = await setup(t);
  const withCvr = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Foreningen Hus Forbi', cvr: validCvr(11), website: 'https://husforbi.dk' }),
    })
  ).json().id;
  const noCvr = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Strikkeklubben i Sydhavn' }) })
  ).json().id;
  const round = await openRound2026(finance);
  await award(finance, round.id, withCvr, [
    { targetGroupId: group('Hjemløshed'), amountOre: 12_345_67 },
    { targetGroupId: group('Stofmisbrug'), amountOre: 50_000 },
  ]);
  await award(finance, round.id, noCvr, [{ targetGroupId: group('Social isolation'), amountOre: 800_000 }], 'in_kind');
  const res = await finance.inject({ method: 'GET', url: '/api/v1/exports/360giving?municipalityCode=101&year=2026' });
  t.equal(res.statusCode, 200, res.body);
  const data = res.json();

  const validate = await packageValidator();
  const valid = validate(data);
  t.ok(valid, 'valid 360Giving package', { errors: validate.errors });

  t.equal(data.grants.length, 2);
  const [first, second] = data.grants;
  t.match(first.recipientOrganization[0], { id: `DK-CVR-${validCvr(11)}`, name: 'Foreningen Hus Forbi' });
  t.equal(first.amountAwarded, 12_845.67, 'kroner, exact');
  t.same(first.beneficiaryLocation[0], {
    name: 'København',
    countryCode: 'DK',
    geoCode: '0101',
    geoCodeType: 'DK-KOMMUNEKODE',
  });
  t.same(
    first.classifications.map((c: { title: string }) => c.title).sort(),
    ['Hjemløshed', 'Stofmisbrug'],
    'the FFB target groups',
  );
  t.match(first.classifications[0].code, /^[0-9a-f-]{36}$/, 'by their FFB codes');
  t.equal(second.recipientOrganization[0].id, `360G-samspil-actor-${noCvr}`, 'the local prefix without a CVR');
  t.match(second.fundingType, [{ code: 'in_kind' }]);

  // Without a grant the package would have none, which the standard does not allow: the schema says so.
  t.notOk(validate({ grants: [] }), 'the validator is strict');
  const region = await finance.inject({ method: 'GET', url: '/api/v1/exports/360giving?regionCode=1084&year=2026' });
  t.equal(region.json().grants.length, 2);
  t.equal(
    (await finance.inject({ method: 'GET', url: '/api/v1/exports/360giving?year=2026' })).statusCode,
    400,
    'a municipality or a region is needed',
  );
});

t.test('360Giving: never an empty package, a dataSource that reproduces it, publisher and licence', async (t) => {
  const { h, finance, group } = await setup(t);
  const validate = await packageValidator();
  const exportOf = (query: string) => finance.inject({ method: 'GET', url: `/api/v1/exports/360giving?${query}` });

  // No grant at all in the area and year: the package schema refuses {"grants": []}, so 404, said plainly.
  const empty = await exportOf('municipalityCode=101&year=2026');
  t.equal(empty.statusCode, 404, 'an area and year without grants is a 404');
  t.equal(empty.json().code, 'NO_OPEN_DATA');
  t.match(empty.json().message, /ingen bevilgede § 18-midler/);
  const emptyEn = await finance.inject({
    method: 'GET',
    url: '/api/v1/exports/360giving?regionCode=1084&year=2026',
    headers: { 'accept-language': 'en' },
  });
  t.equal(emptyEn.statusCode, 404, 'a region too');
  t.match(emptyEn.json().message, /no awarded § 18 grants/);

  const unknown = await exportOf('municipalityCode=998&year=2026');
  t.equal(unknown.statusCode, 404, 'an unknown municipality code is a 404, not an empty package');
  t.match(unknown.json().message, /kommunekode/);

  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Foreningen Åbne Data' }) })
  ).json().id;
  const round = await openRound2026(finance);
  const paid = await award(finance, round.id, actor, [{ targetGroupId: group('Hjemløshed'), amountOre: 250_000 }]);
  await award(finance, round.id, actor, [{ targetGroupId: group('Social isolation'), amountOre: 800_000 }], 'in_kind');
  const version = (await finance.inject({ method: 'GET', url: `/api/v1/grants/${paid}` })).json().version;
  const payments = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${paid}`,
    payload: {
      version,
      payments: [
        { kind: 'payment', paidOn: '2026-03-01', amountOre: 200_000 },
        { kind: 'repayment', paidOn: '2026-09-01', amountOre: 50_000 },
      ],
    },
  });
  t.equal(payments.statusCode, 200, payments.body);
  t.equal((await exportOf('municipalityCode=101&year=2025')).statusCode, 404, 'another year is still empty');

  for (const query of ['municipalityCode=101&year=2026', 'regionCode=1084&year=2026']) {
    const res = await exportOf(query);
    t.equal(res.statusCode, 200, query);
    const data = res.json();
    t.ok(validate(data), `${query}: a valid 360Giving package`, { errors: validate.errors });
    for (const g of data.grants) {
      const source = new URL(g.dataSource);
      t.equal(`${source.pathname}${source.search}`, `/api/v1/exports/360giving?${query}`, 'dataSource keeps the area');
      const again = await finance.inject({ method: 'GET', url: `${source.pathname}${source.search}` });
      t.equal(again.statusCode, 200, 'the dataSource URL answers');
      t.same(again.json(), data, 'with the same package');
    }
    t.equal(data.downloadURL, data.grants[0].dataSource);
    t.equal(data.license, 'https://creativecommons.org/licenses/by/4.0/', 'an open licence');
    t.ok(data.publisher?.name, 'a publisher');
    t.match(data.modified, /^\d{4}-\d\d-\d\dT/);
  }
  const municipal = (await exportOf('municipalityCode=101&year=2026')).json();
  t.match(municipal.publisher, { name: 'København Kommune', identifier: '360G-samspil-kommune-0101' });
  t.equal((await exportOf('regionCode=1084&year=2026')).json().publisher.name, 'Region Hovedstaden');

  const [money, inKind] = municipal.grants;
  t.equal(money.amountAwarded, 2_500, 'money in kroner');
  t.equal(money.amountDisbursed, 1_500, 'paid less repaid');
  t.equal(inKind.amountAwarded, 0, 'in-kind support is no money in amountAwarded');
  t.notOk('amountAppliedFor' in inKind || 'amountDisbursed' in inKind, 'nor in the other amounts');
  t.match(inKind.fundingType, [{ code: 'in_kind', description: /8\.000,00 kr\./ }], 'its value is in fundingType');
});

t.test('a report is read once and reused, until a grant is written: then it shows the change at once', async (t) => {
  const { h, finance, group } = await setup(t);
  const coordinator = await h.as('coordinator', 101);
  const actor = (
    await coordinator.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Cacheforeningen' }),
    })
  ).json();
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'C', budgetOre: 1e9 },
    })
  ).json();
  const url = '/api/v1/reports/proportionality?municipalityCode=101&year=2026';
  const total = async () => (await finance.inject({ method: 'GET', url })).json().totalAwardedOre as string;
  t.equal(await total(), '0');
  const statements: string[] = [];
  const spy = h.database.rows.bind(h.database);
  h.database.rows = (async (query, on) => {
    statements.push('rows');
    return spy(query, on);
  }) as typeof h.database.rows;
  t.equal(await total(), '0');
  t.equal(statements.length, 0, 'the second read of the same report runs no query');
  h.database.rows = spy;
  // What the report works out of its figures (assessments, amounts per person) is kept with them, and
  // shared between requests: so it cannot be changed by one of them.
  const params = { scope: { kind: 'municipality', code: 101 }, yearFrom: 2026, yearTo: 2026, threshold: 0.5 } as const;
  const kept = await h.app.services.reports.proportionality(params);
  t.equal(await h.app.services.reports.proportionality(params), kept, 'the same worked-out report, not made again');
  t.ok(Object.isFrozen(kept) && Object.isFrozen(kept.rows) && kept.rows.every((r) => Object.isFrozen(r)), 'frozen');
  await award(finance, round.id, actor.id, [{ targetGroupId: group('Stofmisbrug'), amountOre: 5_000_000 }]);
  t.equal(await total(), '5000000', 'the award shows at once');
});
