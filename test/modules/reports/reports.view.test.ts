import t from 'tap';
import { escapeHtml } from '../../../src/lib/html.ts';
import type { ReportParams } from '../../../src/modules/reports/reports.repository.ts';
import {
  drillLinks,
  percent,
  proportionalityTable,
  reportParams,
  reportQuery,
  sharedActorsPage,
  visibleTree,
} from '../../../src/modules/reports/reports.view.ts';

/** The report pages' presenter: plain data in, what the pages show out. No app, no database. */

const row = (targetGroupId: number, parentId: number | null, extra = {}) => ({
  targetGroupId,
  parentId,
  nameDa: `Gruppe ${targetGroupId}`,
  nameEn: targetGroupId === 1 ? 'Group 1' : null,
  level: parentId === null ? 1 : 2,
  municipalityCode: null,
  needPeople: 100,
  needShare: 0.25,
  awardedOre: '1234550',
  inKindOre: '0',
  fundingShare: 0.12345,
  orePerPerson: '12346',
  grantCount: 1,
  actorCount: 2,
  agreementCount: 0,
  outreachCount: 0,
  reachedPeople: 7,
  index: 0.49382,
  flag: 'underserved' as const,
  ...extra,
});

t.test('the report asked for, and the query string that gives it again', async (t) => {
  const { params, expand } = reportParams({ yearFrom: 2026, yearTo: 2020, expand: 7 }, 101, 2030);
  t.same(params, { scope: { kind: 'municipality', code: 101 }, yearFrom: 2020, yearTo: 2026, threshold: 0.5 });
  t.same([...expand], [7]);
  t.same(reportParams({}, null, 2030).params.yearFrom, 2030, 'this year when none is given');
  t.equal(reportParams({ year: 2000, yearTo: 2100 }, null, 2030).params.yearTo, 2020, 'at most 21 years');
  t.same(reportParams({ area: 'region:1084', municipalityCode: 147 }, 101, 2030).params.scope, {
    kind: 'region',
    code: 1084,
  });
  t.equal(reportQuery(params, [3, 4]), '?area=municipality%3A101&yearFrom=2020&yearTo=2026&expand=3&expand=4');
  t.equal(
    reportQuery({ scope: { kind: 'national' }, yearFrom: 2026, yearTo: 2026, threshold: 0.3 }),
    '?area=national&year=2026&threshold=0.3',
  );
});

t.test('the query string is written as URLSearchParams writes it', async (t) => {
  // The form encoding of the report's fields, as the page wrote it before writing it by hand.
  const viaSearchParams = (params: ReportParams, expand: number[]) => {
    const area = params.scope.kind === 'national' ? 'national' : `${params.scope.kind}:${params.scope.code}`;
    const q = new URLSearchParams({ area });
    if (params.yearFrom === params.yearTo) q.set('year', String(params.yearFrom));
    else {
      q.set('yearFrom', String(params.yearFrom));
      q.set('yearTo', String(params.yearTo));
    }
    if (params.threshold !== 0.5) q.set('threshold', String(params.threshold));
    for (const e of expand) q.append('expand', String(e));
    return `?${q}`;
  };
  const scopes: ReportParams['scope'][] = [
    { kind: 'national' },
    { kind: 'region', code: 1084 },
    { kind: 'municipality', code: 101 },
    { kind: 'municipality', code: 860 },
  ];
  let checked = 0;
  for (const scope of scopes)
    for (const [yearFrom, yearTo] of [
      [2026, 2026],
      [2020, 2026],
    ] as const)
      for (const threshold of [0, 0.3, 0.5, 0.1 + 0.2, 1e-7, 2.25, 10])
        for (const expand of [[], [7], [48, 34, 19, 2]]) {
          const params = { scope, yearFrom, yearTo, threshold };
          t.equal(reportQuery(params, expand), viaSearchParams(params, expand), JSON.stringify({ params, expand }));
          checked++;
        }
  t.equal(checked, 168);
});

t.test('the tree shows the top groups open, and below them only what was expanded', async (t) => {
  const rows = [row(1, null), row(2, 1), row(3, 2), row(4, null)];
  const shown = (expand: number[]) =>
    visibleTree(rows, new Set(expand)).map((v) => [v.row.targetGroupId, v.depth, v.hasChildren, v.expanded]);
  t.same(shown([]), [
    [1, 0, true, true],
    [2, 1, true, false],
    [4, 0, false, false],
  ]);
  t.same(shown([2]), [
    [1, 0, true, true],
    [2, 1, true, true],
    [3, 2, false, false],
    [4, 0, false, false],
  ]);
});

t.test('links to the grants and actors behind a row, written as HTML', async (t) => {
  // As a template writes them (escapeHtml gives HTML as it is): the query's `&` escaped once.
  const written = (links: { grants: unknown; actors: unknown }) => ({
    grants: escapeHtml(links.grants),
    actors: escapeHtml(links.actors),
  });
  t.same(
    written(
      drillLinks({ scope: { kind: 'municipality', code: 101 }, yearFrom: 2026, yearTo: 2026, threshold: 0.5 })({
        targetGroupId: 9,
      }),
    ),
    {
      grants: '/grants?targetGroupId=9&amp;municipalityCode=101&amp;year=2026',
      actors: '/actors?targetGroupId=9&amp;municipalityCode=101',
    },
  );
  t.same(
    written(
      drillLinks({ scope: { kind: 'region', code: 1084 }, yearFrom: 2025, yearTo: 2026, threshold: 0.5 })({
        targetGroupId: 9,
      }),
    ),
    {
      grants: '/grants?targetGroupId=9&amp;regionCode=1084',
      actors: '/actors?targetGroupId=9',
    },
  );
  t.same(
    written(
      drillLinks({ scope: { kind: 'national' }, yearFrom: 2025, yearTo: 2026, threshold: 0.5 })({ targetGroupId: 9 }),
    ),
    { grants: '/grants?targetGroupId=9', actors: '/actors?targetGroupId=9' },
    'nothing after the group where the report names no place or single year',
  );
  const back = drillLinks(
    { scope: { kind: 'municipality', code: 101 }, yearFrom: 2026, yearTo: 2026, threshold: 0.5 },
    '?area=municipality%3A101&year=2026',
  );
  t.same(
    [written(back({ targetGroupId: 9 })), written(back({ targetGroupId: 12 }))],
    [
      {
        grants:
          '/grants?targetGroupId=9&amp;municipalityCode=101&amp;year=2026&amp;report=area%3Dmunicipality%253A101%26year%3D2026',
        actors: '/actors?targetGroupId=9&amp;municipalityCode=101&amp;report=area%3Dmunicipality%253A101%26year%3D2026',
      },
      {
        grants:
          '/grants?targetGroupId=12&amp;municipalityCode=101&amp;year=2026&amp;report=area%3Dmunicipality%253A101%26year%3D2026',
        actors:
          '/actors?targetGroupId=12&amp;municipalityCode=101&amp;report=area%3Dmunicipality%253A101%26year%3D2026',
      },
    ],
    "each row's links carry the report's own query back, encoded",
  );
  t.equal(percent('da')(0.125), '12,5 %');
});

t.test('the export table', async (t) => {
  const report = {
    scope: 'region:1084',
    year: 2025,
    yearFrom: 2025,
    yearTo: 2026,
    threshold: 0.5,
    totalNeedPeople: 100,
    totalAwardedOre: '1234550',
    rows: [row(1, null)],
  };
  const params = { scope: { kind: 'region' as const, code: 1084 }, yearFrom: 2025, yearTo: 2026, threshold: 0.5 };
  const table = proportionalityTable(report, params, 'en', (k) => `[${k}]`);
  t.equal(table.name, 'proportionalitet-region-1084-2025-2026');
  t.equal(table.header.length, 14);
  t.same(table.rows[0], [
    'Group 1',
    1,
    100,
    0.25,
    { oere: '1234550' },
    { oere: '0' },
    0.1235,
    { oere: '12346' },
    2,
    0,
    0,
    7,
    0.4938,
    '[reports.flag.underserved]',
  ]);
});

t.test('the shared actors a page at a time', async (t) => {
  const actors = Array.from({ length: 120 }, (_, i) => ({ actorId: i + 1 }));
  const matrix = [{ shared: [0, 2] }, { shared: [2, 0] }];
  const municipalities = [{ code: 101 }, { code: 147 }];
  const result = { actors, matrix, municipalities } as unknown as Parameters<typeof sharedActorsPage>[0];
  const last = sharedActorsPage(result, 99, 1084, 2026);
  t.same([last.page, last.pages, last.shown.length], [3, 3, 20], 'a page beyond the last shows the last');
  t.same(
    last.matrixCells.map((cells) => escapeHtml(cells)),
    ['<td>&#8211;</td><td>2</td>', '<td>2</td><td>&#8211;</td>'],
    'the matrix on every page, a dash where a municipality meets itself',
  );
  const country = Array.from({ length: 98 }, (_, i) => ({ code: i + 1 }));
  const national = {
    actors,
    municipalities: country,
    matrix: country.map(() => ({ shared: country.map(() => 1) })),
  } as unknown as Parameters<typeof sharedActorsPage>[0];
  t.same(sharedActorsPage(national, 1, undefined, 2026).matrixCells, [], 'no matrix of the whole country: not built');
  t.equal(last.link(1), '/reports/shared-actors?regionCode=1084&year=2026');
  t.equal(
    sharedActorsPage(result, 2, undefined, 2026).link(2),
    '/reports/shared-actors?regionCode=all&year=2026&page=2',
  );
});
