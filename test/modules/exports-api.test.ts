import ExcelJS from 'exceljs';
import t from 'tap';
import { buildTestApp } from '../helper.ts';
import { oneAwardedGrant } from './award-fixture.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

t.test('the CSV and XLSX exports answer an API key with the file, the page’s file', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const { roundId } = await oneAwardedGrant(h, finance, 40, 123_450);

  const bearer = { authorization: `Bearer ${finance.token}` };
  const cases = [
    [`/api/v1/exports/grants.csv?roundId=${roundId}`, `/grants/export.csv?roundId=${roundId}`],
    [`/api/v1/exports/grants.xlsx?roundId=${roundId}`, `/grants/export.xlsx?roundId=${roundId}`],
    [
      '/api/v1/exports/proportionality.csv?municipalityCode=101&year=2026',
      '/reports/proportionality/export.csv?area=municipality:101&year=2026',
    ],
    [
      '/api/v1/exports/proportionality.xlsx?municipalityCode=101&year=2026',
      '/reports/proportionality/export.xlsx?area=municipality:101&year=2026',
    ],
  ] as const;
  for (const [api, page] of cases) {
    const res = await h.anonymous({ method: 'GET', url: api, headers: bearer });
    t.equal(res.statusCode, 200, `${api}: the file, not a redirect to sign-in`);
    t.match(res.headers['content-disposition'], /^attachment; filename="[\w-]+\.(csv|xlsx)"$/);
    const fromPage = await finance.inject({ method: 'GET', url: page });
    t.equal(fromPage.statusCode, 200);
    if (api.includes('.csv')) {
      t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
      t.equal(res.body, fromPage.body, `${api}: the same file as the page’s`);
    } else {
      t.equal(res.headers['content-type'], XLSX);
      const read = async (body: Buffer) => {
        const book = new ExcelJS.Workbook();
        await book.xlsx.load(body as unknown as ArrayBuffer);
        const rows: unknown[] = [];
        book.worksheets[0]?.eachRow((row) => rows.push(row.values));
        return rows;
      };
      t.same(await read(res.rawPayload), await read(fromPage.rawPayload), `${api}: the same cells as the page’s`);
    }
  }
  const csv = await h.anonymous({ method: 'GET', url: cases[0][0], headers: bearer });
  t.match(csv.body, /Herberget Nørrebro/);
  t.match(csv.body, /1234,5/, 'kroner with a decimal comma');
  const english = await h.anonymous({
    method: 'GET',
    url: cases[0][0],
    headers: { ...bearer, 'accept-language': 'en' },
  });
  t.notSame(english.body.split('\r\n')[0], csv.body.split('\r\n')[0], 'headers in the language asked for');

  // The same checks as the JSON API: no key, no file; a bad query is refused, not guessed.
  const anonymous = await h.anonymous({ method: 'GET', url: cases[0][0] });
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.json().code, 'UNAUTHENTICATED');
  const noScope = await h.anonymous({
    method: 'GET',
    url: '/api/v1/exports/proportionality.csv?year=2026',
    headers: bearer,
  });
  t.equal(noScope.statusCode, 400);
  const badRound = await h.anonymous({ method: 'GET', url: '/api/v1/exports/grants.csv?roundId=x', headers: bearer });
  t.equal(badRound.statusCode, 400);

  const doc = (await h.inject({ method: 'GET', url: '/docs/json' })).json();
  t.ok(doc.paths['/api/v1/exports/grants.csv'].get.responses['200'].content['text/csv'], 'documented: CSV');
  t.ok(doc.paths['/api/v1/exports/proportionality.xlsx'].get.responses['200'].content[XLSX], 'documented: XLSX');
});
