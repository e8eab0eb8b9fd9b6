import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';
import { settled } from './reimport-fixture.ts';
import { uploadApi } from './upload.ts';

/**
 * The grant list Samspil exports, imported back into the same municipality, changes nothing: the
 * export's own headers are read, the CSV's formula guard is taken off again, the round column
 * ("Puljen (2026)") names the round and its year, and case numbers match the grants they are.
 */

const CVR = validCvr(7101);
/** Names the CSV guards with an apostrophe, and one that is a plain name. */
const GUARDED = ['=Foreningen', '+45 Klubben', '-Nattevagten', '@home'];

async function counts(h: TestApp) {
  const [row] = await h.database.rows<Record<string, number>>(
    sql`select (select count(*)::int from grants) as grants, (select count(*)::int from actors) as actors,
               (select count(*)::int from grant_rounds) as rounds, (select sum(version)::int from grants) as versions,
               (select count(*)::int from grant_allocations) as allocations`,
  );
  return row;
}

/** A municipality with grants in every state, in rounds whose names hold a year or not. */
async function municipalityWithGrants(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stof = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id ?? 0;
  const actor = async (name: string) => {
    const res = await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name }) });
    t.equal(res.statusCode, 201, `${name}: ${res.body}`);
    return res.json().id as number;
  };
  const round = async (year: number, name: string, c = finance) => {
    const res = await c.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year, name, budgetOre: 100_000_000 },
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json().id as number;
  };
  const ids: Record<string, number> = {};
  for (const n of GUARDED) ids[n] = await actor(n);
  const id = (name: string) => ids[name] ?? 0;
  const main2026 = await round(2026, '§ 18-puljen 2026');
  const paren2026 = await round(2026, 'Puljen (2026)');
  const r2025 = await round(2025, 'Sommerpuljen');

  const apply = async (roundId: number, actorId: number, title: string, requestedOre: number, c = finance) => {
    const res = await c.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId, actorId, title, requestedOre },
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json() as { id: number; version: number };
  };
  const move = async (g: { id: number; version: number }, body: Record<string, unknown>) => {
    const res = await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${g.id}/transitions`,
      payload: { version: g.version, ...body },
    });
    t.equal(res.statusCode, 200, res.body);
    return res.json() as { id: number; version: number };
  };
  // Applied, approved, rejected and paid; a title the guard protects; one actor in two rounds.
  await apply(paren2026, id('=Foreningen'), 'Aftenhygge', 1_000_050);
  await move(await apply(main2026, id('+45 Klubben'), '-20 % på varm mad', 800_000), {
    to: 'approved',
    awardedOre: 500_000,
    targetGroupId: stof,
    decisionOn: '2026-03-01',
  });
  await move(await apply(main2026, id('@home'), 'Hjemmebesøg', 300_000), { to: 'rejected' });
  await apply(main2026, id('=Foreningen'), '@ Café', 200_000);
  const approved = await move(await apply(r2025, id('-Nattevagten'), 'Nattevagt', 400_000), {
    to: 'approved',
    awardedOre: 400_000,
    targetGroupId: stof,
    decisionOn: '2025-02-01',
  });
  const payment = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${approved.id}`,
    payload: { version: approved.version, payments: [{ paidOn: '2025-03-01', amountOre: 400_000 }] },
  });
  t.equal(payment.statusCode, 200, payment.body);
  await move(payment.json(), { to: 'paid' });
  // A grant with a case number, from a file imported before.
  const first = [
    'Sagsnr;Forening;CVR;Projekt;År;Pulje;Ansøgt;Bevilget;Målgruppe;Dato',
    `S-17;Varmestuen Vest;${CVR};Morgenmad;2026;§ 18-puljen 2026;3.000;2.000;Stofmisbrug;1.3.2026`,
  ].join('\n');
  const imported = (await uploadApi(finance, 'grants', Buffer.from(first))).json();
  t.match(await settled(h, finance, imported.id), { status: 'done', createdCount: 1 }, JSON.stringify(imported));
  // Another municipality's grants are not in 101's export.
  const other = await h.as('finance', 147);
  await apply(await round(2026, 'Frederiksbergs pulje', other), id('=Foreningen'), 'Aftenhygge', 100_000, other);
  return { h, finance };
}

/** The export's headers in Danish, which the import reads as these fields. */
const DANISH = {
  externalRef: 'Sagsnummer',
  roundName: 'Pulje',
  actorName: 'Aktør',
  cvr: 'CVR-nummer',
  title: 'Titel',
  requested: 'Ansøgt (kr.)',
  awarded: 'Bevilget (kr.)',
};

/** Uploads a file, checks its preview says nothing is to be done, then writes it and checks again. */
async function importsToNothing(
  t: Test,
  h: TestApp,
  finance: Client,
  file: Buffer,
  fileName: string,
  columns: Record<string, string> = DANISH,
) {
  const before = await counts(h);
  const checked = (await uploadApi(finance, 'grants', file, { commit: 'false' }, fileName)).json();
  t.same(checked.problems, [], 'no problems');
  t.equal(checked.status, 'ready');
  t.same(checked.mapping.columns, columns, 'the export’s own headers are read');
  t.match(
    checked.summary,
    {
      actorsCreated: 0,
      actorsMatched: 5,
      roundsCreated: [],
      created: 0,
      updated: 0,
      skipped: 6,
      skippedLocked: 0,
      matches: [],
    },
    'the preview: every row as it is',
  );
  t.ok(
    checked.summary.sample.every((s: { action: string }) => s.action === 'skip'),
    JSON.stringify(checked.summary.sample),
  );
  const names = checked.summary.sample.map((s: { actor: string }) => s.actor);
  for (const n of GUARDED) t.ok(names.includes(n), `${n}: shown without the guard`);
  const committed = await finance.inject({
    method: 'POST',
    url: `/api/v1/imports/${checked.id}/commit`,
    payload: { version: checked.version },
  });
  t.equal(committed.statusCode, 200, committed.body);
  t.match(await settled(h, finance, checked.id), {
    status: 'done',
    createdCount: 0,
    updatedCount: 0,
    skippedCount: 6,
  });
  t.same(await counts(h), before, 'no grant, actor or round created, nothing changed');
}

t.test('the CSV export imports back to nothing to do', async (t) => {
  const { h, finance } = await municipalityWithGrants(t);
  const csv = await finance.inject({ method: 'GET', url: '/grants/export.csv?municipalityCode=101' });
  t.equal(csv.statusCode, 200);
  t.match(csv.body, /;'=Foreningen;/, 'the CSV guards a name that looks like a formula');
  t.match(csv.body, /;Puljen \(2026\) \(2026\);/, 'and names a round with its year');
  await importsToNothing(t, h, finance, csv.rawPayload, 'bevillinger.csv');
});

t.test('the XLSX export imports back to nothing to do', async (t) => {
  const { h, finance } = await municipalityWithGrants(t);
  const xlsx = await finance.inject({ method: 'GET', url: '/grants/export.xlsx?municipalityCode=101' });
  t.equal(xlsx.statusCode, 200);
  await importsToNothing(t, h, finance, xlsx.rawPayload, 'bevillinger.xlsx');
});

t.test('so does the CSV exported in English', async (t) => {
  const { h, finance } = await municipalityWithGrants(t);
  const csv = await finance.inject({
    method: 'GET',
    url: '/grants/export.csv?municipalityCode=101',
    headers: { 'accept-language': 'en' },
  });
  t.match(csv.body, /^\ufeffNo\.;Case number;Round;/);
  await importsToNothing(t, h, finance, csv.rawPayload, 'grants.csv', {
    externalRef: 'Case number',
    roundName: 'Round',
    actorName: 'Actor',
    cvr: 'CVR number',
    title: 'Title',
    requested: 'Requested (DKK)',
    awarded: 'Awarded (DKK)',
  });
});
