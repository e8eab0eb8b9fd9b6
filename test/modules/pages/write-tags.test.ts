import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { type Client, openTestDatabase, signedInClient, writesHeard } from '../../helper.ts';

/**
 * A write drops only the kept pages it touches: those of its municipality, and the reports that cover
 * it (a region's, the country's). Rows are changed behind the app's back (plain SQL, which notifies
 * nobody) to see what is still reused; then a write through the app in Copenhagen (101).
 */

const NATIONAL = '/reports/proportionality?area=national&year=2026';
const AARHUS = '/reports/proportionality?area=municipality:751&year=2026';
const totalNeed = (html: string) => /Samlet behov: ([\d.]+) personer/.exec(html)?.[1];

async function estimate(client: Client, municipalityCode: number, groupId: number, people: number) {
  const saved = await client.postForm('/need-estimates/cell', {
    municipalityCode: String(municipalityCode),
    year: '2026',
    targetGroupId: String(groupId),
    people: String(people),
  });
  if (saved.statusCode !== 303) throw new Error(saved.body);
}

async function round(client: Client, name: string): Promise<number> {
  const created = await client.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2026, name, budgetOre: 1_000_000 },
  });
  if (created.statusCode !== 201) throw new Error(created.body);
  return (created.json() as { id: number }).id;
}

t.test('a write in one municipality drops its pages and the national report, not another’s', async (t) => {
  const database = await openTestDatabase(t);
  // Kept for a minute at most: long enough that no step of the test outlasts it on a busy machine.
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', PAGE_CACHE_TTL_MS: '60000' }), {
    database,
    logger: false,
  });
  t.teardown(() => app.close());
  const copenhagen = await signedInClient(app, 'finance', 101);
  const aarhus = await signedInClient(app, 'finance', 751);
  const groups = (await copenhagen.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const group = groups.find((g) => g.nameDa === 'Stofmisbrug');
  if (!group) throw new Error('no group Stofmisbrug');
  await estimate(copenhagen, 101, group.id, 1111);
  await estimate(aarhus, 751, group.id, 2222);
  const ownRound = await round(copenhagen, 'Københavnerpuljen');
  const otherRound = await round(aarhus, 'Aarhuspuljen');

  const pages = async () => ({
    national: totalNeed((await copenhagen.inject({ method: 'GET', url: NATIONAL })).body),
    aarhus: totalNeed((await aarhus.inject({ method: 'GET', url: AARHUS })).body),
    ownRound: (await copenhagen.inject({ method: 'GET', url: `/grant-rounds/${ownRound}` })).body,
    otherRound: (await aarhus.inject({ method: 'GET', url: `/grant-rounds/${otherRound}` })).body,
  });
  await writesHeard(database);
  const first = await pages();
  t.equal(first.national, '3.333', 'the national report sums both');
  t.equal(first.aarhus, '2.222');

  await database.db.execute(sql`update need_estimates set people = people + 1 where year = 2026`);
  await database.db.execute(sql`update grant_rounds set name = name || ' (omdøbt)'`);
  const kept = await pages();
  t.equal(kept.national, '3.333', 'kept while nothing is written');
  t.equal(kept.aarhus, '2.222');
  t.notMatch(kept.ownRound, /omdøbt/);
  t.notMatch(kept.otherRound, /omdøbt/);

  await round(copenhagen, 'Endnu en københavnerpulje');
  const after = await pages();
  t.equal(after.national, '3.335', 'a write in Copenhagen drops the national report');
  t.match(after.ownRound, /Københavnerpuljen \(omdøbt\)/, 'and Copenhagen’s round');
  t.equal(after.aarhus, '2.222', 'but not Aarhus’s report');
  t.notMatch(after.otherRound, /omdøbt/, 'nor Aarhus’s round');

  await round(aarhus, 'Endnu en aarhuspulje');
  const later = await pages();
  t.equal(later.aarhus, '2.223', 'until Aarhus writes');
  t.match(later.otherRound, /Aarhuspuljen \(omdøbt\)/);
});
