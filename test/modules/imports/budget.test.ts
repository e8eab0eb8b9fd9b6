import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';
import { holdImports, uploadApi } from './upload.ts';

/**
 * An imported grant obeys the rules of one typed in: an award that takes a registered round over
 * its budget needs finance's override, and a new grant's report is due when the form says.
 */

const ROUND = 'Puljen til sociale formål';
const COLUMNS = {
  externalRef: 'Sagsnr',
  actorName: 'Forening',
  title: 'Projekt',
  year: 'År',
  requested: 'Ansøgt',
  awarded: 'Bevilget',
  targetGroup: 'Målgruppe',
};
const list = (rows: string[]) => ['Sagsnr;Forening;Projekt;År;Ansøgt;Bevilget;Målgruppe', ...rows].join('\n');
const row = (ref: string, actor: string, awarded: string) =>
  `${ref};${actor};Aftenåbent;2026;${awarded};${awarded};Stofmisbrug`;

/** A municipality with one round in 2026, its budget 50.000 kr. */
async function setup(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const created = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2026, name: ROUND, budgetOre: 5_000_000 },
  });
  t.equal(created.statusCode, 201, 'the round is registered');
  return { h, finance, round: created.json() as { id: number; reportDueOn: string } };
}

/** A grant typed in through the grant form's API: an application, by an actor registered for it. */
async function applyByForm(h: TestApp, c: Client, roundId: number, title: string, requestedOre: number) {
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: `Foreningen ${title}` }) })
  ).json();
  const applied = await c.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId, actorId: actor.id, title, requestedOre },
  });
  return applied.json() as { id: number; version: number; reportDueOn: string };
}

async function settled(h: TestApp, c: Client, id: number) {
  await h.app.importRunner.idle();
  return (await c.inject({ method: 'GET', url: `/api/v1/imports/${id}` })).json();
}

async function awardedIn(h: TestApp, roundId: number) {
  const [r] = await h.database.rows<{ n: number; awarded: number }>(
    sql`select count(*)::int as n, coalesce(sum(awarded_ore), 0)::int as awarded from grants where round_id = ${roundId}`,
  );
  return { n: Number(r?.n), awarded: Number(r?.awarded) };
}

const OVER = {
  message: 'import.overBudget',
  params: { round: ROUND, year: 2026, budgetOre: '5000000', totalOre: '5500000' },
};
const OVER_TEXT =
  /Puljen »Puljen til sociale formål« \(2026\) har et budget på 50\.000,00 kr\., men med filens bevillinger bliver der bevilget 55\.000,00 kr\. i alt\./;

t.test('awards that take a registered round over its budget are refused at the check', async (t) => {
  const { h, finance, round } = await setup(t);
  const file = list([row('B-1', 'Varmestuen Vest', '30.000'), row('B-2', 'Gadeholdet', '25.000')]);
  const item = (await uploadApi(finance, 'grants', Buffer.from(file))).json();
  t.equal(item.status, 'invalid', 'refused before anything is queued');
  t.match(item.problems, [{ line: 2, column: 'Bevilget', ...OVER }]);
  t.match(item.problems[0].text, OVER_TEXT, 'the API says it in Danish, the amounts as kroner');
  t.same(await awardedIn(h, round.id), { n: 0, awarded: 0 }, 'no grant written');
  const page = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
  t.match(page.body, OVER_TEXT, 'the page names the round, its budget and the total');

  // Within the budget, the same round takes the awards.
  const within = list([row('B-1', 'Varmestuen Vest', '30.000'), row('B-2', 'Gadeholdet', '20.000')]);
  const ok = (await uploadApi(finance, 'grants', Buffer.from(within))).json();
  t.equal(ok.status, 'queued', JSON.stringify(ok.problems));
  t.match(await settled(h, finance, ok.id), { status: 'done', createdCount: 2 });
  t.same(await awardedIn(h, round.id), { n: 2, awarded: 5_000_000 });
});

t.test('with finance’s override the awards pass, marked and audited as the form’s override is', async (t) => {
  const { h, finance, round } = await setup(t);
  const file = list([row('B-1', 'Varmestuen Vest', '30.000'), row('B-2', 'Gadeholdet', '25.000')]);
  const item = (await uploadApi(finance, 'grants', Buffer.from(file))).json();
  t.equal(item.status, 'invalid');

  // The user ticks the override in the columns step, as on the grant form.
  const checked = await finance.postForm(`/imports/${item.id}/columns`, {
    version: String(item.version),
    ...Object.fromEntries(Object.entries(COLUMNS).map(([k, v]) => [`columns[${k}]`, v])),
    overrideBudget: 'on',
  });
  t.equal(checked.statusCode, 303, checked.body.slice(0, 500));
  const ready = (await finance.inject({ method: 'GET', url: `/api/v1/imports/${item.id}` })).json();
  t.match(ready, { status: 'ready', mapping: { overrideBudget: true } }, JSON.stringify(ready.problems));
  t.match(ready.summary.roundsOverBudget, [{ name: ROUND, year: 2026, budgetOre: 5_000_000, awardedOre: '5500000' }]);
  const preview = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
  t.match(
    preview.body,
    /Puljen »Puljen til sociale formål« \(2026\) overskrides med økonomis bekræftelse: 55\.000,00 kr\. bevilget i alt, af et budget på 50\.000,00 kr\./,
    'the preview says which round the override takes over its budget',
  );
  const committed = await finance.inject({
    method: 'POST',
    url: `/api/v1/imports/${item.id}/commit`,
    payload: { version: ready.version },
  });
  t.equal(committed.statusCode, 200, 'queued');
  t.match(await settled(h, finance, item.id), { status: 'done', createdCount: 2 });
  t.same(await awardedIn(h, round.id), { n: 2, awarded: 5_500_000 });
  t.match((await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` })).json(), {
    remainingOre: '-500000',
  });
  const grants = (await finance.inject({ method: 'GET', url: `/api/v1/grants?roundId=${round.id}` })).json().items;
  t.same(
    grants.map((g: { budgetOverride: boolean }) => g.budgetOverride),
    [true, true],
    'each award beyond the budget is marked, as the form marks it',
  );
  const audit = await h.database.rows<{ action: string }>(
    sql`select action from audit_log where entity = 'grant' order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['approve_over_budget', 'approve_over_budget'],
    'audited as the form audits its override',
  );

  // API users give the same override in the mapping.
  const more = list([row('B-3', 'Natteravnene', '1.000')]);
  const refused = (await uploadApi(finance, 'grants', Buffer.from(more))).json();
  t.match(refused, { status: 'invalid', problems: [{ message: 'import.overBudget' }] });
  const api = (
    await uploadApi(finance, 'grants', Buffer.from(more), {
      mapping: JSON.stringify({ columns: COLUMNS, overrideBudget: true }),
    })
  ).json();
  t.equal(api.status, 'queued', JSON.stringify(api.problems));
  t.match(await settled(h, finance, api.id), { status: 'done', createdCount: 1 });
});

t.test('the rule is checked again as the import is written: an award made meanwhile counts', async (t) => {
  const { h, finance, round } = await setup(t);
  const release = holdImports(t, h.app.services.imports);
  const item = (
    await uploadApi(finance, 'grants', Buffer.from(list([row('B-1', 'Varmestuen Vest', '30.000')])))
  ).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));

  // While the import waits, finance awards 25.000 kr. in the same round through the form.
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const applied = await applyByForm(h, finance, round.id, 'Fodbold', 2_500_000);
  const approved = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${applied.id}/transitions`,
    payload: {
      to: 'approved',
      version: applied.version,
      awardedOre: 2_500_000,
      targetGroupId: groups.find((g) => g.nameDa === 'Stofmisbrug')?.id,
    },
  });
  t.equal(approved.statusCode, 200, 'the form awards it within the budget');

  release();
  t.match(await settled(h, finance, item.id), { status: 'invalid', problems: [OVER] });
  t.same(await awardedIn(h, round.id), { n: 1, awarded: 2_500_000 }, 'nothing of the import is written');
});

t.test('a re-import counts a changed grant with its new amount: raising is refused, lowering passes', async (t) => {
  const { h, finance, round } = await setup(t);
  const first = list([row('B-1', 'Varmestuen Vest', '30.000'), row('B-2', 'Gadeholdet', '15.000')]);
  const item = (await uploadApi(finance, 'grants', Buffer.from(first))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(await settled(h, finance, item.id), { status: 'done', createdCount: 2 });

  const raised = list([row('B-1', 'Varmestuen Vest', '40.000'), row('B-2', 'Gadeholdet', '15.000')]);
  const up = (await uploadApi(finance, 'grants', Buffer.from(raised))).json();
  t.match(up, { status: 'invalid', problems: [OVER] }, '40.000 + 15.000 passes the budget');

  // 20.000 + 15.000 + a new 10.000 is 45.000: within the budget (with B-1's old 30.000 it would not be).
  const lowered = list([
    row('B-1', 'Varmestuen Vest', '20.000'),
    row('B-2', 'Gadeholdet', '15.000'),
    row('B-3', 'Natteravnene', '10.000'),
  ]);
  const down = (await uploadApi(finance, 'grants', Buffer.from(lowered))).json();
  t.equal(down.status, 'queued', JSON.stringify(down.problems));
  t.match(await settled(h, finance, down.id), { status: 'done', createdCount: 1, updatedCount: 1, skippedCount: 1 });
  t.same(await awardedIn(h, round.id), { n: 3, awarded: 4_500_000 });
});

t.test('an imported grant’s report is due when a grant typed in is', async (t) => {
  const { h, finance, round } = await setup(t);
  const typed = await applyByForm(h, finance, round.id, 'Fodbold', 100_000);
  // Into the registered round, and into a round the import creates (2027).
  const file = list([
    row('B-1', 'Varmestuen Vest', '1.000'),
    row('B-2', 'Natteravnene', '1.000').replace('2026', '2027'),
  ]);
  const item = (await uploadApi(finance, 'grants', Buffer.from(file))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(await settled(h, finance, item.id), { status: 'done', createdCount: 2 });
  const imported = (await finance.inject({ method: 'GET', url: '/api/v1/grants?municipalityCode=101' })).json()
    .items as { roundId: number; reportDueOn: string; title: string }[];
  const inRound = imported.find((g) => g.roundId === round.id && g.title === 'Aftenåbent');
  t.equal(inRound?.reportDueOn, typed.reportDueOn, 'the same date as the form’s in the same round');
  const newRound = imported.find((g) => g.roundId !== round.id);
  const created = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${newRound?.roundId}` })).json();
  t.equal(newRound?.reportDueOn, created.reportDueOn, 'a new round’s grant: the round’s date');

  // A round with its own date: the form and the import both take it.
  await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${round.id}`,
    payload: {
      reportDueOn: '2027-03-31',
      version: (await h.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` })).json().version,
    },
  });
  const typedLater = await applyByForm(h, finance, round.id, 'Svømning', 100_000);
  t.equal(typedLater.reportDueOn, '2027-03-31');
  const later = (
    await uploadApi(
      finance,
      'grants',
      Buffer.from(list([row('B-9', 'Varmestuen Vest', '1.000').replace('Aftenåbent', 'Sommertur')])),
    )
  ).json();
  t.match(await settled(h, finance, later.id), { status: 'done', createdCount: 1 });
  const [due] = await h.database.rows<{ due: string }>(
    sql`select report_due_on::text as due from grants where external_ref = 'B-9'`,
  );
  t.equal(due?.due, typedLater.reportDueOn);
});
