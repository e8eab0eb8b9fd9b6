import { access, mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import t from 'tap';
import { readerThreadsStarted, readTableFile, sampleRows, UPLOAD_LIMITS } from '../../../src/lib/table-reader.ts';
import { writeImportFile } from '../../../src/modules/imports/imports.repository.ts';
import { buildTestApp } from '../../helper.ts';
import { uploadApi } from './upload.ts';
import { workbookTooBigForReader } from './zip.ts';

/**
 * The streamed reader of uploads lets go of what it takes (issue 16, review of the import reader):
 * temporary files and descriptors on every pass, a crash of one reader failing only its own file,
 * a failing disk as an error and not a crash, and the zip's directory read without the whole file.
 */

/** Descriptors of this process (the reader threads' included) open on paths beginning with one of these. */
async function openFilesUnder(...dirs: string[]): Promise<string[]> {
  const open: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (dirs.some((d) => target.startsWith(d))) open.push(target);
  }
  return open;
}

/** A workbook as ExcelJS writes it (its sheets before its shared strings), of two sheets. */
async function workbook(rows: number, cell = 'Varmestuen'): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Tilskud');
  sheet.addRow(['Forening', 'År', 'Bevilget']);
  for (let i = 0; i < rows; i++) sheet.addRow([`${cell} ${i}`, 2025, 1000 + i]);
  book.addWorksheet('Noter').addRow(['en note']);
  return Buffer.from(await book.xlsx.writeBuffer());
}

t.test('reading a workbook again and again leaves no unpacked sheet and no open file behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samspil-reader-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // ExcelJS's unpacked sheets are named by the tmp package: tmp-<pid>-<random>, in the temp folder.
  const unpacked = async () => (await readdir(tmpdir())).filter((f) => f.startsWith(`tmp-${process.pid}-`));
  const before = await unpacked();
  const file = join(dir, 'tilskud.xlsx');
  await writeFile(file, await workbook(50));

  for (let pass = 0; pass < 3; pass++) {
    const table = await readTableFile(file);
    t.equal(table.rowCount, 50);
    // Stopped early, as the upload's sample does.
    t.same((await sampleRows(table, 2))[1], ['Varmestuen 1', '2025', '1001']);
    // Read to the end.
    let rows = 0;
    await table.forEachRow(() => {
      rows++;
      return true;
    });
    t.equal(rows, 50);
    // Stopped by a failure of the one reading.
    await t.rejects(
      table.forEachBatch(() => {
        throw new Error('stop');
      }),
      /stop/,
    );
  }
  // Refused part way through the sheet (a cell longer than allowed).
  const long = join(dir, 'lang.xlsx');
  await writeFile(long, await workbook(3, 'x'.repeat(100)));
  await t.rejects(readTableFile(long, { ...UPLOAD_LIMITS, cellLength: 50 }), { message: /cellTooLong/ });

  t.same(await unpacked(), before, 'no unpacked sheet is left');
  t.same(await openFilesUnder(dir, join(tmpdir(), `tmp-${process.pid}-`)), [], 'no file of the reads is held open');
});

t.test('a file too big for its reader fails that file only, not a read running beside it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samspil-reader-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // 250,000 different texts of 1,000 characters: more memory than a reader has.
  const big = join(dir, 'stor.xlsx');
  await writeFile(big, await workbookTooBigForReader());
  const small = join(dir, 'lille.csv');
  await writeFile(small, 'Forening;År\nVarmestuen;2025\nNatcaféen;2026\n');

  const table = await readTableFile(small);
  const seen: string[][] = [];
  // The small file's pass is under way (its reader waits for the next pull) while the big one is read.
  await table.forEachBatch(async (rows) => {
    await t.rejects(readTableFile(big), { message: /import\.file\.tooBig/ }, 'the big file is refused');
    seen.push(...rows.map((r) => r.cells));
    return true;
  });
  t.same(
    seen,
    [
      ['Varmestuen', '2025'],
      ['Natcaféen', '2026'],
    ],
    'the small file is read to its end beside it',
  );
});

t.test(
  "a workbook's passes follow one another on one reader thread, a refusing thread is not used again",
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'samspil-reader-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'tilskud.xlsx');
    await writeFile(file, await workbook(2));
    const bad = join(dir, 'lang.xlsx');
    await writeFile(bad, await workbook(2, 'x'.repeat(100)));
    const count = async (table: Awaited<ReturnType<typeof readTableFile>>) => {
      let n = 0;
      await table.forEachRow(() => {
        n++;
        return true;
      });
      return n;
    };

    // A scan, an early stop, and two whole passes: as an upload and its import read a file.
    const before = readerThreadsStarted();
    const table = await readTableFile(file);
    t.same(await sampleRows(table, 1), [['Varmestuen 0', '2025', '1000']]);
    t.equal(await count(table), 2);
    t.equal(await count(await readTableFile(file)), 2);
    t.ok(readerThreadsStarted() - before <= 1, 'one thread at most for five jobs in a row');

    // The thread that refused a file goes; the next job gets a thread that did not.
    await t.rejects(readTableFile(bad, { ...UPLOAD_LIMITS, cellLength: 50 }), { message: /cellTooLong/ });
    const afterRefusal = readerThreadsStarted();
    t.equal(await count(await readTableFile(file)), 2);
    t.equal(readerThreadsStarted(), afterRefusal + 1, 'a new thread after a refusal');

    // Two reads at the same time each have a thread of their own.
    const a = await readTableFile(file);
    const beside = readerThreadsStarted();
    await a.forEachBatch(async () => {
      t.equal(await count(await readTableFile(file)), 2);
      return true;
    });
    t.equal(readerThreadsStarted(), beside + 1, 'the read beside a running pass starts its own thread');
  },
);

t.test('a CSV file is read in the web process, a row of it limited in length', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samspil-reader-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'tilskud.csv');
  await writeFile(file, 'Forening;År\nVarmestuen;2025\n\nNatcaféen;2026\n');
  const before = readerThreadsStarted();
  const table = await readTableFile(file);
  t.same(table.header, ['Forening', 'År']);
  t.equal(table.rowCount, 2);
  const lines: number[] = [];
  await table.forEachRow((_cells, line) => {
    lines.push(line);
    return true;
  });
  t.same(lines, [2, 4], 'the rows with something in them, by their lines in the file');
  t.same(await sampleRows(table, 1), [['Varmestuen', '2025']]);
  t.equal(readerThreadsStarted(), before, 'no reader thread');

  // Many cells, each within its limit, make a row longer than a row may be.
  const wide = join(dir, 'bred.csv');
  await writeFile(wide, `Forening;År\nVarmestuen;2025\n${Array(30).fill('y'.repeat(40)).join(';')}\n`);
  await t.rejects(readTableFile(wide, { ...UPLOAD_LIMITS, rowLength: 1000 }), {
    code: 'IMPORT_UNREADABLE',
    message: 'import.file.rowTooLong?max=1.000&line=3',
  });
  t.same(await openFilesUnder(dir), [], 'no file of the reads is held open');
});

t.test('a disk that fails while the stored file is written back is an error, not a crash', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const res = await uploadApi(finance, 'grants', Buffer.from('Forening;År;Bevilget\nVarmestuen;2025;1.000\n'), {
    commit: 'false',
  });
  t.equal(res.statusCode, 201);
  const { id } = res.json() as { id: number };
  const dir = await mkdtemp(join(tmpdir(), 'samspil-reader-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  // A directory that is not there: the file cannot be opened, and that is known while the first
  // piece is still being read from the database (held here behind another transaction).
  const gone = join(dir, 'gone', 'upload');
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let holding = () => {};
  const begun = new Promise<void>((r) => (holding = r));
  const other = h.database.db.transaction(async (tx) => {
    await tx.execute(sql`select 1`);
    holding();
    await held;
  });
  await begun;
  const writing = writeImportFile(h.database.db, id, gone);
  writing.catch(() => {});
  // The open has failed once the same path has failed again (and the loop turned a few times).
  await access(gone).catch(() => {});
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  release();
  await other;
  await t.rejects(writing, { code: 'ENOENT' });
  // A full disk (Linux's /dev/full answers every write with ENOSPC).
  const full = join(dir, 'full');
  await symlink('/dev/full', full);
  await t.rejects(writeImportFile(h.database.db, id, full), { code: 'ENOSPC' });

  const ok = join(dir, 'ok.csv');
  t.equal(await writeImportFile(h.database.db, id, ok), true, 'and a disk that works is written to as before');
  t.equal((await finance.inject({ method: 'GET', url: '/imports' })).statusCode, 200, 'the app still serves');
});
