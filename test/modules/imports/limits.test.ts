import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';
import { multipart, uploadApi, uploadPage } from './upload.ts';
import { SHEET_HEAD, workbookTooBigForReader, zip } from './zip.ts';

/**
 * Files made to exhaust memory (issue 16, point 8): each is refused with a Danish message naming the
 * limit it passes, nothing of it is stored, and the app answers the next request as before.
 */

const GOOD = 'Forening;År;Bevilget;Målgruppe\nVarmestuen;2025;1.000;Stofmisbrug\n';

/**
 * One app for the file: each test compares what is stored with what was before its own upload, and
 * the app going on serving after each refusal is part of what is tested.
 */
const h = await buildTestApp(t);

async function stored(h: TestApp) {
  const [row] = await h.database.rows<{ imports: number; chunks: number; audited: number }>(
    sql`select (select count(*)::int from imports) as imports, (select count(*)::int from import_chunks) as chunks,
               (select count(*)::int from audit_log where entity = 'import') as audited`,
  );
  return row;
}

/** The app still reads and writes: a small file is imported, and a page renders. */
async function stillServes(t: Test, finance: Client) {
  const ok = await uploadApi(finance, 'grants', Buffer.from(GOOD), { commit: 'false' });
  t.equal(ok.statusCode, 201, 'a small file after it is read as before');
  t.equal((await finance.inject({ method: 'GET', url: '/imports' })).statusCode, 200, 'and pages render');
}

/** A workbook whose one sheet has one inline-string cell of `cell` characters. */
function zipBomb(cell: number): Promise<Buffer> {
  return zip([
    {
      name: 'xl/worksheets/sheet1.xml',
      *pieces() {
        yield Buffer.from(`${SHEET_HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>`);
        const piece = Buffer.alloc(1024 * 1024, 'a');
        for (let written = 0; written < cell; written += piece.length)
          yield piece.subarray(0, Math.min(piece.length, cell - written));
        yield Buffer.from('</t></is></c></row></sheetData></worksheet>');
      },
    },
  ]);
}

t.test('an XLSX zip bomb (one cell of 300 MB in a file of a few hundred KB) is refused', async (t) => {
  const finance = await h.as('finance', 101);
  const bomb = await zipBomb(300 * 1024 * 1024);
  t.ok(bomb.length < 1024 * 1024, `the file is small (${bomb.length} bytes)`);
  const before = await stored(h);
  const api = await uploadApi(finance, 'grants', bomb, {}, 'bombe.xlsx');
  t.equal(api.statusCode, 400);
  t.match(api.json().message, /længere end 32\.767 tegn, som er grænsen for en celle/);
  const page = await uploadPage(finance, 'grants', bomb, 'bombe.xlsx');
  t.equal(page.statusCode, 422);
  t.match(page.body, /længere end 32\.767 tegn/);
  t.same(await stored(h), before, 'nothing stored');
  await stillServes(t, finance);
});

t.test('a file over the byte limit is refused as it arrives', async (t) => {
  const finance = await h.as('finance', 101);
  const before = await stored(h);
  // 200 MB and one line more, sent as a stream: the test holds no more of it than the app may.
  const { payload, headers } = multipart({ kind: 'grants' }, Buffer.alloc(0));
  const cut = payload.length - Buffer.byteLength('\r\n------samspil-import-test--\r\n');
  const line = Buffer.from('Varmestuen;2025;1.000;Stofmisbrug\n'.padStart(1024, ' '));
  const body = Readable.from(
    (function* () {
      yield payload.subarray(0, cut);
      yield Buffer.from('Forening;År;Bevilget;Målgruppe\n');
      const block = Buffer.concat(Array.from({ length: 1024 }, () => line));
      for (let i = 0; i <= 200; i++) yield block;
      yield payload.subarray(cut);
    })(),
  );
  const res = await finance.inject({ method: 'POST', url: '/api/v1/imports', payload: body, headers });
  t.equal(res.statusCode, 413);
  t.match(res.json().message, /større end 200 MB, som er grænsen/);
  t.same(await stored(h), before, 'nothing stored');
  await stillServes(t, finance);
});

t.test('one row of a million empty cells is refused', async (t) => {
  const finance = await h.as('finance', 101);
  const file = Buffer.from(`Forening;År;Bevilget;Målgruppe\n${';'.repeat(1_000_000)}\n`);
  const before = await stored(h);
  const api = await uploadApi(finance, 'grants', file);
  t.equal(api.statusCode, 400);
  t.match(api.json().message, /Linje 2 har over 1\.000 celler, som er grænsen for en række/);
  const page = await uploadPage(finance, 'grants', file);
  t.equal(page.statusCode, 422);
  t.match(page.body, /Linje 2 har over 1\.000 celler/);
  t.same(await stored(h), before, 'nothing stored');
  await stillServes(t, finance);
});

t.test('a file of more rows than an import may have is refused', async (t) => {
  const finance = await h.as('finance', 101);
  const file = Buffer.from(`Forening;År\n${'x;2025\n'.repeat(1_000_001)}`);
  const before = await stored(h);
  const api = await uploadApi(finance, 'grants', file);
  t.equal(api.statusCode, 400);
  t.match(api.json().message, /over 1\.000\.000 rækker, som er grænsen for én import/);
  t.same(await stored(h), before, 'nothing stored');
  await stillServes(t, finance);
});

t.test('a multipart body cut off before its end is a 400, not a 500', async (t) => {
  const finance = await h.as('finance', 101);
  const before = await stored(h);
  const { payload, headers } = multipart({ kind: 'grants' }, Buffer.from(GOOD));
  const cut = payload.subarray(0, payload.length - 30);
  const api = await finance.inject({ method: 'POST', url: '/api/v1/imports', payload: cut, headers });
  t.equal(api.statusCode, 400, api.body.slice(0, 300));
  const { payload: form } = multipart({ _csrf: finance.csrf, kind: 'grants' }, Buffer.from(GOOD));
  const page = await finance.inject({
    method: 'POST',
    url: '/imports',
    payload: form.subarray(0, form.length - 30),
    headers,
  });
  t.equal(page.statusCode, 400, page.body.slice(0, 300));
  t.same(await stored(h), before, 'nothing stored');
  await stillServes(t, finance);
});

t.test(
  'a workbook within the limits that needs more memory than the reader has ends the reader, not the app',
  async (t) => {
    const finance = await h.as('finance', 101);
    // 250,000 different texts of 1,000 characters: 250 MB of shared strings, each cell within the limits.
    const book = await workbookTooBigForReader();
    const before = await stored(h);
    const api = await uploadApi(finance, 'grants', book, {}, 'stor.xlsx');
    t.equal(api.statusCode, 400);
    t.match(api.json().message, /kræver mere hukommelse at læse end de 128 MB, en import må bruge/);
    t.same(await stored(h), before, 'nothing stored');
    await stillServes(t, finance);
  },
);
