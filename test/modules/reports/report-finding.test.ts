import t, { type Test } from 'tap';
import { groupFamily, verdictOf } from '../../../src/modules/reports/reports.view.ts';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, readReferences } from '../../helper.ts';

/**
 * Issue 19, points 8 and 9 on the server: the report leads with its finding at any depth, a parent
 * says how many sub-groups below it are underserved, a group without need or money has no data,
 * and the drill-down lists lead back to the report as it was.
 */

type Row = { targetGroupId: number; flag: string; needPeople: number; awardedOre: string };

/** Hjemløshed and Alkoholmisbrug served in proportion, heavy drug users (under Stofmisbrug) not. */
async function setup(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const group = (name: string) => groups.find((g) => g.nameDa === name)?.id as number;
  const heavy = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa: 'Meget belastede stofmisbrugere', parentId: group('Stofmisbrug'), municipalityCode: 101 },
    })
  ).json().id as number;
  await finance.inject({
    method: 'PUT',
    url: '/api/v1/need-estimates?municipalityCode=101&year=2026',
    payload: [
      { targetGroupId: group('Hjemløshed'), people: 400 },
      { targetGroupId: group('Alkoholmisbrug'), people: 500 },
      { targetGroupId: heavy, people: 100 },
    ],
  });
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 100_000_000 },
    })
  ).json();
  for (const [name, g, amount] of [
    ['Herberget', group('Hjemløshed'), 4_000_000],
    ['Ædruklubben', group('Alkoholmisbrug'), 5_800_000],
    ['Fixerummet', heavy, 200_000],
  ] as const) {
    const actorId = (
      await h.inject({
        method: 'POST',
        url: '/api/v1/actors',
        payload: actorInput({ name, targetGroupIds: [g], contacts: [], cvr: validCvr(name.length * 31) }),
      })
    ).json().id;
    const grant = (
      await finance.inject({
        method: 'POST',
        url: '/api/v1/grants',
        payload: { roundId: round.id, actorId, title: `Tilskud til ${name}`, requestedOre: amount, kind: 'money' },
      })
    ).json();
    const res = await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${grant.id}/transitions`,
      payload: {
        to: 'approved',
        version: 1,
        awardedOre: amount,
        allocations: [{ targetGroupId: g, amountOre: amount }],
      },
    });
    if (res.statusCode !== 200) throw new Error(res.body);
  }
  return { h, finance, group, heavy };
}

t.test('a group with neither need nor money has no data, in the API, the page and the export', async (t) => {
  const { finance, group } = await setup(t);
  const api = await finance.inject({
    method: 'GET',
    url: '/api/v1/reports/proportionality?municipalityCode=101&year=2026',
  });
  t.equal(api.statusCode, 200, api.body);
  const rows = api.json().rows as Row[];
  const row = (id: number) => rows.find((r) => r.targetGroupId === id) as Row;
  t.match(row(group('Prostitution')), { needPeople: 0, awardedOre: '0', flag: 'no_data' });
  t.match(row(group('Hjemløshed')), { flag: 'ok' }, 'a group served in proportion is still ok');

  const page = await finance.inject({ method: 'GET', url: '/reports/proportionality?area=municipality:101&year=2026' });
  const prostitution = page.body.match(new RegExp(`<tr id="group-${group('Prostitution')}">[\\s\\S]*?</tr>`))?.[0];
  t.match(prostitution, /Ingen data/);
  t.notMatch(prostitution, /I orden/);

  const csv = await finance.inject({
    method: 'GET',
    url: '/reports/proportionality/export.csv?area=municipality:101&year=2026',
  });
  t.match(csv.body, /\nProstitution;2;0;[^\n]*;Ingen data\r?\n/);
});

t.test('the page starts with the underserved groups at any depth; a parent names those below it', async (t) => {
  const { finance, group, heavy } = await setup(t);
  const page = await finance.inject({ method: 'GET', url: '/reports/proportionality?area=municipality:101&year=2026' });
  const body = page.body;
  const findings = body.indexOf('id="findings-heading"');
  t.ok(findings > body.indexOf('id="report-heading"'), 'after the report heading');
  t.ok(findings < body.indexOf('<figure'), 'before the chart');
  t.ok(findings < body.indexOf('id="report-table"'), 'before the table');
  t.match(body, /<h3 id="findings-heading">Underforsynede målgrupper<\/h3>/);
  const finding = body.match(new RegExp(`<li id="finding-${heavy}">[\\s\\S]*?</li>`))?.[0] ?? '';
  t.match(finding, /Meget belastede stofmisbrugere[\s\S]*Underforsynet[\s\S]*indeks 0,20/);
  t.match(readReferences(finding), /under Socialt problem › Misbrug › Stofmisbrug/);
  t.match(
    finding,
    new RegExp(
      `href="/reports/proportionality\\?area=municipality%3A101&amp;year=2026(&amp;expand=\\d+)+#group-${heavy}"`,
    ),
    'a link to its row, the groups above it unfolded',
  );
  t.notMatch(body, new RegExp(`<tr id="group-${heavy}"`), 'the row itself is folded away two levels down');

  const misuse = body.match(new RegExp(`<tr id="group-${group('Misbrug')}">[\\s\\S]*?</tr>`))?.[0];
  t.match(
    readReferences(misuse ?? ''),
    /I orden samlet[\s\S]*– 2 undergrupper underforsynede/,
    'the parent that hides them says so',
  );
  const homeless = body.match(new RegExp(`<tr id="group-${group('Hjemløshed')}">[\\s\\S]*?</tr>`))?.[0];
  t.match(homeless, /I orden/);
  t.notMatch(homeless, /undergrupp/);

  const none = await finance.inject({
    method: 'GET',
    url: '/reports/proportionality?area=municipality:101&year=2026&threshold=0,1',
  });
  t.match(none.body, /Ingen målgrupper er underforsynede/, 'a report without a finding says so');
  t.match(none.body, /indeks på mindst 0,1/, 'in Danish numbers');
  t.match(none.body, /id="filter-threshold"[^>]*value="0,1"/, 'the field shows a Danish number too');
});

t.test('the drill-down lists link back to the report with its choices', async (t) => {
  const { finance, heavy } = await setup(t);
  const reportQuery = `area=municipality%3A101&year=2026&expand=${heavy}`;
  const page = await finance.inject({ method: 'GET', url: `/reports/proportionality?${reportQuery}` });
  const back = encodeURIComponent(reportQuery);
  t.match(
    page.body,
    new RegExp(`/grants\\?targetGroupId=\\d+&amp;municipalityCode=101&amp;year=2026&amp;report=${back}`),
  );
  t.match(page.body, new RegExp(`/actors\\?targetGroupId=\\d+&amp;municipalityCode=101&amp;report=${back}`));

  for (const list of ['grants', 'actors']) {
    const res = await finance.inject({ method: 'GET', url: `/${list}?targetGroupId=${heavy}&report=${back}` });
    t.equal(res.statusCode, 200);
    t.match(
      res.body,
      `<a class="back-link" href="/reports/proportionality?${reportQuery.replaceAll('&', '&amp;')}">Tilbage til rapporten</a>`,
      `${list}: back to the report`,
    );
    t.match(
      res.body,
      `<input type="hidden" name="report" value="${reportQuery.replaceAll('&', '&amp;')}">`,
      'kept when filtering',
    );
    const plain = await finance.inject({ method: 'GET', url: `/${list}?targetGroupId=${heavy}` });
    t.notMatch(plain.body, /Tilbage til rapporten/, `${list}: no way back when not opened from the report`);
    const odd = await finance.inject({
      method: 'GET',
      url: `/${list}?report=${encodeURIComponent('"><script>alert(1)</script>')}`,
    });
    t.notMatch(odd.body, /Tilbage til rapporten|<script>alert/, `${list}: a report query is only a query`);
  }
});

t.test('the presenter: sub-groups with findings, and the words of an assessment', async (t) => {
  const rows = [
    { targetGroupId: 1, parentId: null, flag: 'ok' },
    { targetGroupId: 2, parentId: 1, flag: 'ok' },
    { targetGroupId: 3, parentId: 2, flag: 'underserved' },
    { targetGroupId: 4, parentId: 3, flag: 'no_offer' },
    { targetGroupId: 5, parentId: 1, flag: 'no_estimate' },
  ];
  const { flaggedBelow, ancestors } = groupFamily(rows);
  t.same(
    rows.map((r) => flaggedBelow(r)),
    [2, 2, 1, 0, 0],
    'counted at any depth; a missing estimate is no finding',
  );
  t.same(
    ancestors(rows[3] as (typeof rows)[number]).map((r) => r.targetGroupId),
    [3, 2, 1],
  );
  const t2 = (key: string, p?: Record<string, string | number>) => `${key}${p ? JSON.stringify(p) : ''}`;
  t.same(verdictOf('ok', 1, t2), {
    label: 'reports.flag.okOverall',
    badge: null,
    below: 'reports.flaggedBelow{"count":1}',
  });
  t.same(verdictOf('ok', 0, t2), { label: 'reports.flag.ok', badge: null, below: null });
  t.same(verdictOf('no_data', 0, t2), { label: 'reports.flag.no_data', badge: null, below: null });
  t.equal(verdictOf('underserved', 0, t2).badge, 'badge-error');
  t.equal(verdictOf('no_estimate', 0, t2).badge, 'badge-warning');
});
