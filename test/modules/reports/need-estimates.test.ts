import { sql } from 'drizzle-orm';
import iconv from 'iconv-lite';
import t, { type Test } from 'tap';
import { danishDate } from '../../../src/lib/dates.ts';
import { toXlsx } from '../../../src/lib/spreadsheet.ts';
import { buildTestApp, type Client } from '../../helper.ts';

async function setup(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
    ffbCode: string | null;
  }[];
  const group = (name: string) => groups.find((g) => g.nameDa === name)?.id as number;
  return { h, finance, groups, group };
}

const put = (c: Client, body: unknown, where = 'municipalityCode=101&year=2026') =>
  c.inject({ method: 'PUT', url: `/api/v1/need-estimates?${where}`, payload: body as object });

/** A multipart body with the CSRF token, the place and a file. */
function upload(c: Client, file: Buffer, where: { municipalityCode: number; year: number }, name = 'behov.csv') {
  const boundary = '----samspil-test';
  const part = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(
      part('_csrf', c.csrf) +
        part('municipalityCode', String(where.municipalityCode)) +
        part('year', String(where.year)),
    ),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return c.inject({
    method: 'POST',
    url: '/need-estimates/import',
    payload,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

t.test('PUT replaces a municipality’s estimates for a year; bad sets are refused whole', async (t) => {
  const { h, finance, group } = await setup(t);
  const first = await put(finance, [
    { targetGroupId: group('Hjemløshed'), people: 400, source: 'Hjemløsetælling 2024' },
    { targetGroupId: group('Stofmisbrug'), people: 120 },
  ]);
  t.equal(first.statusCode, 200, first.body);
  t.equal(first.json().items.length, 2);
  t.equal(first.json().total, 2, 'the answer is a list: {items, total}');
  const second = await put(finance, [
    { targetGroupId: group('Hjemløshed'), people: 420, municipalityCode: 101, year: 2026 },
  ]);
  t.same(
    second.json().items.map((e: { targetGroupId: number; people: number }) => [e.targetGroupId, e.people]),
    [[group('Hjemløshed'), 420]],
    'groups left out lose their estimate',
  );
  const got = await finance.inject({ method: 'GET', url: '/api/v1/need-estimates?municipalityCode=101&year=2026' });
  t.equal(got.json().items[0].source, null, 'a row sent without a source has none');

  for (const [why, body] of [
    [
      'the same group twice',
      [
        { targetGroupId: group('Hjemløshed'), people: 1 },
        { targetGroupId: group('Hjemløshed'), people: 2 },
      ],
    ],
    ['an unknown group', [{ targetGroupId: 999_999, people: 1 }]],
    ['a negative number', [{ targetGroupId: group('Hjemløshed'), people: -1 }]],
    ['another year in a row', [{ targetGroupId: group('Hjemløshed'), people: 1, year: 2025 }]],
  ] as const) {
    const res = await put(finance, body);
    t.equal(res.statusCode, 400, why);
  }
  const aarhus = await h.as('admin', 751);
  const local = (
    await aarhus.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa: 'Aarhus-gruppe', parentId: group('Stofmisbrug'), municipalityCode: 751 },
    })
  ).json().id;
  t.equal(
    (await put(finance, [{ targetGroupId: local, people: 5 }])).statusCode,
    400,
    'another municipality’s local group',
  );
  t.equal((await put(finance, [], 'municipalityCode=751&year=2026')).statusCode, 403, 'another municipality');
  const coordinator = await h.as('coordinator', 101);
  t.equal((await put(coordinator, [])).statusCode, 403, 'coordinators do not estimate need');
  const still = await finance.inject({ method: 'GET', url: '/api/v1/need-estimates?municipalityCode=101&year=2026' });
  t.equal(still.json().items[0].people, 420, 'nothing changed');
  const audit = await h.database.rows<{ action: string }>(
    sql`select action from audit_log where entity = 'need_estimates' order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['replace', 'replace'],
  );
});

t.test('the grid: a cell saved in place, versions, copying last year, and the total', async (t) => {
  const { finance, group, h } = await setup(t);
  const page = await finance.inject({ method: 'GET', url: '/need-estimates?municipalityCode=101&year=2026' });
  t.equal(page.statusCode, 200);
  t.match(page.body, /hx-post="\/need-estimates\/cell"/);
  const cell = (fields: Record<string, string>, htmx = true) =>
    finance.inject({
      method: 'POST',
      url: '/need-estimates/cell',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(htmx ? { 'hx-request': 'true' } : {}),
      },
      payload: new URLSearchParams({
        _csrf: finance.csrf,
        municipalityCode: '101',
        year: '2026',
        ...fields,
      }).toString(),
    });
  const misbrug = group('Stofmisbrug');
  const saved = await cell({ targetGroupId: String(misbrug), people: '1.200', source: 'Sundhedsstyrelsen' });
  t.equal(saved.statusCode, 200, saved.body);
  t.match(saved.body, new RegExp(`^<tr id="need-${misbrug}">`));
  t.match(saved.body, /value="1200"/);
  t.match(saved.body, /<strong id="need-total" hx-swap-oob="true">1\.200<\/strong>/, 'the total is updated too');
  t.match(saved.body, /name="version" value="1"/);
  const changed = await cell({ targetGroupId: String(misbrug), people: '1300', version: '1' });
  t.equal(changed.statusCode, 200);
  const stale = await cell({ targetGroupId: String(misbrug), people: '999', version: '1' });
  t.equal(stale.statusCode, 409, 'a stale edit is refused');
  t.match(stale.body, /value="1300"/, 'and shows the value as it is now');
  const bad = await cell({ targetGroupId: String(misbrug), people: 'mange' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, /aria-invalid="true"/);
  const removed = await cell({ targetGroupId: String(misbrug), people: '', version: '2' });
  t.equal(removed.statusCode, 200, 'an emptied cell removes the estimate');
  t.equal((await h.app.services.needEstimates.list(101, 2026)).length, 0);
  const plain = await cell({ targetGroupId: String(misbrug), people: '40' }, false);
  t.equal(plain.statusCode, 303, 'without JavaScript the row’s button posts and returns to the grid');

  await put(finance, [{ targetGroupId: group('Hjemløshed'), people: 77 }], 'municipalityCode=101&year=2025');
  const copy = await finance.postForm('/need-estimates/copy', { municipalityCode: '101', year: '2026' });
  t.equal(copy.statusCode, 303);
  t.match(copy.headers.location, /copied=1$/, 'one estimate copied; the one already there kept');
  const after = await h.app.services.needEstimates.list(101, 2026);
  t.same(
    after.map((e) => [e.targetGroupId, e.people]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    [
      [group('Hjemløshed'), 77],
      [misbrug, 40],
    ].sort((a, b) => (a[0] as number) - (b[0] as number)),
  );
  const viewer = await h.as('viewer', 101);
  const readOnly = await viewer.inject({ method: 'GET', url: '/need-estimates?municipalityCode=101&year=2026' });
  t.notMatch(readOnly.body, /need-estimates\/cell/, 'a viewer sees the grid without inputs');
  t.match(readOnly.body, />77</);
});

t.test('the grid of a place that is none: the user’s own municipality, and this year', async (t) => {
  const { finance } = await setup(t);
  const thisYear = danishDate().slice(0, 4);
  const heading = (body: string) => /<h2>Behovsskøn for ([^<]+)<\/h2>/.exec(body)?.[1];
  const cases: [string, string][] = [
    ['', `København ${thisYear}`],
    ['?municipalityCode=abc&year=1999', `København ${thisYear}`],
    ['?municipalityCode=9999&year=2030', 'København 2030'],
    ['?municipalityCode=147&year=tyve', `Frederiksberg ${thisYear}`],
    ['?municipalityCode=147&year=2031', 'Frederiksberg 2031'],
  ];
  for (const [query, expected] of cases) {
    const page = await finance.inject({ method: 'GET', url: `/need-estimates${query}` });
    t.equal(page.statusCode, 200, query);
    t.equal(heading(page.body), expected, query);
  }
});

t.test('CSV import: Danish files in either encoding, all or nothing', async (t) => {
  const { finance, group, groups, h } = await setup(t);
  const ffb = groups.find((g) => g.nameDa === 'Alkoholmisbrug')?.ffbCode as string;
  const good = `\ufeffMålgruppe;Antal;Kilde\r\nHjemløshed;1.250;Tælling\r\n${ffb};300;\r\nstofmisbrug;80;Skøn\r\n`;
  const ok = await upload(finance, Buffer.from(good, 'utf8'), { municipalityCode: 101, year: 2026 });
  t.equal(ok.statusCode, 303, ok.body);
  t.match(ok.headers.location, /imported=3$/);
  const list = await h.app.services.needEstimates.list(101, 2026);
  t.equal(list.find((e) => e.targetGroupId === group('Hjemløshed'))?.people, 1250, 'Danish thousands');
  t.equal(list.find((e) => e.targetGroupId === group('Alkoholmisbrug'))?.people, 300, 'by FFB code');

  // Windows-1252, as older Excel saves it: ø and æ are single bytes.
  const latin = Buffer.from('målgruppe,antal\nSocial isolation,55\nMultipel funktionsnedsættelse,12\n', 'latin1');
  const ok2 = await upload(finance, latin, { municipalityCode: 101, year: 2026 });
  t.equal(ok2.statusCode, 303, ok2.body);
  t.equal(
    (await h.app.services.needEstimates.list(101, 2026)).find(
      (e) => e.targetGroupId === group('Multipel funktionsnedsættelse'),
    )?.people,
    12,
    'æ read from Windows-1252',
  );

  const before = await h.app.services.needEstimates.list(101, 2026);
  const broken = Buffer.from('Målgruppe;Antal\nHjemløshed;999\nFindes ikke;10\nStofmisbrug;12,5\n', 'utf8');
  const refused = await upload(finance, broken, { municipalityCode: 101, year: 2026 });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, /Linje 3: Målgruppen »Findes ikke« findes ikke/);
  t.match(refused.body, /Linje 4: »12,5« er ikke et helt antal personer/);
  t.same(await h.app.services.needEstimates.list(101, 2026), before, 'nothing was imported');
  const noColumns = await upload(finance, Buffer.from('navn;tal\nx;1\n'), { municipalityCode: 101, year: 2026 });
  t.equal(noColumns.statusCode, 422);
  t.match(noColumns.body, /kolonnerne »målgruppe« og »antal«/);
  const coordinator = await h.as('coordinator', 101);
  t.equal(
    (await upload(coordinator, Buffer.from(good), { municipalityCode: 101, year: 2026 })).statusCode,
    403,
    'coordinators may not import need',
  );
  t.equal(
    (await upload(finance, Buffer.from(good), { municipalityCode: 751, year: 2026 })).statusCode,
    403,
    'nor finance into another municipality',
  );
  t.equal(
    (await upload(coordinator, Buffer.from(''), { municipalityCode: 101, year: 2026 })).statusCode,
    403,
    'refused before the file is read',
  );
  const noToken = await finance.inject({
    method: 'POST',
    url: '/need-estimates/import',
    payload: Buffer.from('--b\r\nContent-Disposition: form-data; name="year"\r\n\r\n2026\r\n--b--\r\n'),
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  });
  t.equal(noToken.statusCode, 403, 'an upload without the CSRF token is refused');
});

t.test('the import reads what the grant import reads: XLSX, and Windows-1252 with ; or ,', async (t) => {
  const { finance, group, h } = await setup(t);
  const where = { municipalityCode: 101, year: 2027 };
  const people = async (name: string) =>
    (await h.app.services.needEstimates.list(101, 2027)).find((e) => e.targetGroupId === group(name));

  const workbook = await toXlsx(
    'Behov',
    ['Målgruppe', 'Antal personer', 'Kilde'],
    [
      ['Hjemløshed', 1250, 'Hjemløsetælling – 2026'],
      ['Stofmisbrug', 80, null],
    ],
  );
  const xlsx = await upload(finance, workbook, where, 'behov.xlsx');
  t.equal(xlsx.statusCode, 303, xlsx.body.slice(0, 500));
  t.match(xlsx.headers.location, /imported=2$/);
  t.equal((await people('Hjemløshed'))?.people, 1250, 'a number cell of a workbook');
  t.equal((await people('Hjemløshed'))?.source, 'Hjemløsetælling – 2026');

  for (const [delimiter, n] of [
    [';', 55],
    [',', 56],
  ] as const) {
    const text = [
      ['Målgruppe', 'Antal', 'Kilde'],
      ['Social isolation', String(n), `Skøn “${delimiter}” – Ærø`],
      ['Multipel funktionsnedsættelse', '1.200', ''],
    ]
      .map((r) => r.map((c) => (c.includes(delimiter) ? `"${c}"` : c)).join(delimiter))
      .join('\r\n');
    const file = iconv.encode(text, 'windows-1252');
    t.equal(file.length, text.length, 'one byte a character: the file is Windows-1252');
    const res = await upload(finance, file, where);
    t.equal(res.statusCode, 303, `${delimiter} ${res.body.slice(0, 500)}`);
    t.equal((await people('Social isolation'))?.people, n, `the delimiter ${delimiter}`);
    t.equal((await people('Social isolation'))?.source, `Skøn “${delimiter}” – Ærø`, 'the code page’s own characters');
    t.equal((await people('Multipel funktionsnedsættelse'))?.people, 1200);
  }

  const utf16 = await upload(finance, Buffer.from('\ufeffMålgruppe;Antal\r\nHjemløshed;1\r\n', 'utf16le'), where);
  t.equal(utf16.statusCode, 422, 'a file the reader refuses');
  t.match(utf16.body, /id="import-problems"/);
  const broken = await upload(finance, Buffer.from('PK\u0003\u0004 not a workbook'), where, 'behov.xlsx');
  t.equal(broken.statusCode, 422);
  t.match(broken.body, /Excel-filen kan ikke åbnes/);
  t.equal((await people('Hjemløshed'))?.people, 1250, 'a refused file changes nothing');
});
