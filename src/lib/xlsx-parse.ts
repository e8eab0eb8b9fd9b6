/**
 * The XLSX half of the upload reader (see table-parse.ts): a workbook's zip is checked part by part
 * against the upload limits before any XML parser sees it, and its first worksheet read a row at a
 * time with ExcelJS's streaming reader. Run in the reader thread (see table-reader.ts).
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import type ExcelJS from 'exceljs';
import { neutraliseCell, Refusal, unguardedCell } from './csv.ts';
import type { UploadLimits } from './table-limits.ts';

const u16 = (b: Buffer, at: number) => b.readUInt16LE(at);
const u32 = (b: Buffer, at: number) => b.readUInt32LE(at);

/**
 * Inflates every part of the workbook once, counting what comes out, before any XML parser sees it:
 * more than decompressedBytes in all, a run of text longer than a cell may be, a sheet with more
 * rows than allowed or a row with more cells are refused without being held.
 */
export async function checkZip(path: string, limits: UploadLimits) {
  const fh = await open(path, 'r');
  try {
    await checkZipParts(fh, path, limits);
  } finally {
    await fh.close();
  }
}

/** The bytes of the file at a place (never the whole file: only its directory and headers). */
async function readAt(fh: FileHandle, at: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await fh.read(b, 0, length, at);
  if (bytesRead < length) throw new Refusal('import.file.badXlsx');
  return b;
}

async function checkZipParts(fh: FileHandle, path: string, limits: UploadLimits) {
  const bad = () => new Refusal('import.file.badXlsx');
  const size = (await fh.stat()).size;
  // The end of the central directory is in the last 22 bytes, after a comment of up to 64 KB.
  const tailStart = Math.max(0, size - 65_557);
  const tail = await readAt(fh, tailStart, size - tailStart);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad();
  const entries = u16(tail, eocd + 10);
  let p = u32(tail, eocd + 16);
  let total = 0;
  // A run of bytes with no "<": a cell's text, escaped (at most 6 bytes a character), or a tag.
  const maxRun = limits.cellLength * 6 + 1024;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > size) throw bad();
    const head = await readAt(fh, p, 46);
    if (u32(head, 0) !== 0x02014b50) throw bad();
    const method = u16(head, 10);
    const compressed = u32(head, 20);
    const nameLength = u16(head, 28);
    const name = (await readAt(fh, p + 46, nameLength)).toString('utf8');
    const local = u32(head, 42);
    p += 46 + nameLength + u16(head, 30) + u16(head, 32);
    if (local + 30 > size) throw bad();
    const localHead = await readAt(fh, local, 30);
    if (u32(localHead, 0) !== 0x04034b50) throw bad();
    const start = local + 30 + u16(localHead, 26) + u16(localHead, 28);
    if (method !== 0 && method !== 8) throw bad();
    const length = Math.max(0, Math.min(compressed, size - start));
    // The entry's bytes, a piece at a time from the file.
    const data = length
      ? createReadStream(path, { start, end: start + length - 1, highWaterMark: 256 * 1024 })
      : Readable.from([]);
    const sheet = /^xl\/worksheets\/sheet\d+\.xml$/.test(name);
    let run = 0;
    let rows = 0;
    let cells = 0;
    let carry = Buffer.alloc(0);
    const source = method === 8 ? data.pipe(createInflateRaw()) : data;
    if (source !== data) data.on('error', (err: Error) => source.destroy(err));
    try {
      for await (const piece of source) {
        total += (piece as Buffer).length;
        if (total > limits.decompressedBytes)
          throw new Refusal('import.file.tooLargeUnpacked', { max: limits.decompressedBytes / 1024 / 1024 });
        // A tag cut off at the end of the last piece is looked at again with this one.
        const chunk = carry.length ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
        carry = Buffer.alloc(0);
        let last = 0;
        for (let lt = chunk.indexOf(0x3c); lt >= 0; lt = chunk.indexOf(0x3c, lt + 1)) {
          run += lt - last;
          if (run > maxRun) throw new Refusal('import.file.cellTooLong', { max: limits.cellLength });
          run = 0;
          last = lt;
          if (!sheet) continue;
          if (lt + 5 > chunk.length) {
            carry = Buffer.from(chunk.subarray(lt));
            last = chunk.length;
            break;
          }
          const after = (k: number) => chunk[lt + k] === 0x20 || chunk[lt + k] === 0x3e || chunk[lt + k] === 0x2f;
          if (chunk[lt + 1] === 0x72 && chunk[lt + 2] === 0x6f && chunk[lt + 3] === 0x77 && after(4)) {
            if (++rows > limits.rows + 1) throw new Refusal('import.file.tooManyRows', { max: limits.rows });
            cells = 0;
          } else if (chunk[lt + 1] === 0x63 && after(2)) {
            if (++cells > limits.cellsPerRow)
              throw new Refusal('import.file.tooManyCells', { max: limits.cellsPerRow, line: rows });
          }
        }
        run += chunk.length - last;
        if (run > maxRun) throw new Refusal('import.file.cellTooLong', { max: limits.cellLength });
      }
    } catch (err) {
      if (err instanceof Refusal) throw err;
      throw bad();
    } finally {
      source.destroy();
      data.destroy();
      await released(data);
    }
  }
}

/**
 * The temporary files ExcelJS makes while reading: when a sheet comes before the shared strings in
 * the zip (as Excel and ExcelJS write them), it unpacks the sheet into a file through the tmp
 * package, holding its descriptor open, and removes it only once the sheet has been read to the
 * end. Each pass removes those it made itself, however it stops.
 */
type Cleanup = (next?: (err?: Error) => void) => void;
type TmpFile = (cb: (err: Error | null, path: string, fd: number, cleanup: Cleanup) => void) => void;
const unpacked = new Set<Cleanup>();
let tmpWatched = false;

function watchTmpFiles() {
  if (tmpWatched) return;
  tmpWatched = true;
  // The tmp that ExcelJS itself loads (resolved from its folder).
  const fromExcel = createRequire(createRequire(import.meta.url).resolve('exceljs'));
  const tmp = fromExcel('tmp') as { file: TmpFile };
  const original = tmp.file.bind(tmp);
  tmp.file = (cb) =>
    original((err, path, fd, cleanup) => {
      if (!err && cleanup) unpacked.add(cleanup);
      cb(err, path, fd, cleanup);
    });
}

/** Closes and removes the unpacked files (tmp ignores a second call, should ExcelJS make one). */
async function removeUnpacked() {
  const all = [...unpacked];
  unpacked.clear();
  await Promise.all(all.map((cleanup) => new Promise<void>((resolve) => cleanup(() => resolve()))));
}

/** Resolves when the stream has let go of its file, however it ended. */
const released = (s: Readable) => (s.closed ? undefined : new Promise<void>((r) => s.once('close', () => r())));

/** Rows of a sheet handed on at a time. */
const RECORD_GROUP = 500;

/**
 * The first worksheet's rows, each cell as the text a person sees in it (dates as ISO dates). A text
 * cell is read as the CSV export writes it: with the formula guard's apostrophe where a spreadsheet
 * would run it, so that it is told from a formula's own text (=HYPERLINK(…)), which keeps none.
 *
 * ExcelJS's streamed reader now and then loses a part of the zip on a busy machine and fails on a
 * sound workbook ("Cannot read properties of undefined (reading 'sheets')": 1 to 2 reads in 250 of a
 * small workbook, with three other processes busy). A read that fails so before it has handed on a
 * row is tried again, up to three times; a workbook that fails every time is refused as unreadable.
 * A refusal (a limit passed) is not tried again.
 */
export async function* xlsxRecords(path: string, limits: UploadLimits): AsyncGenerator<[string[], number][]> {
  for (let attempt = 1; ; attempt++) {
    let handedOn = false;
    try {
      for await (const group of xlsxRecordsOnce(path, limits)) {
        handedOn = true;
        yield group;
      }
      return;
    } catch (err) {
      if (err instanceof Refusal) throw err;
      if (handedOn || attempt >= 3) throw new Refusal('import.file.badXlsx');
    }
  }
}

async function* xlsxRecordsOnce(path: string, limits: UploadLimits): AsyncGenerator<[string[], number][]> {
  // Loaded only for a workbook: a CSV is read without it.
  const { default: excel } = await import('exceljs');
  watchTmpFiles();
  const input = createReadStream(path);
  const reader = new excel.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  let line = 0;
  let sheet: unknown;
  // Handed on in groups of rows, as the CSV reader's (table-parse.ts).
  let group: [string[], number][] = [];
  try {
    for await (sheet of reader) {
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        // Rows left out of the sheet are blank lines, as in the file.
        while (++line < row.number) {
          group.push([[], line]);
          if (group.length >= RECORD_GROUP) {
            yield group;
            group = [];
          }
        }
        const cells: string[] = [];
        row.eachCell({ includeEmpty: true }, (cell, col) => {
          if (col > limits.cellsPerRow)
            throw new Refusal('import.file.tooManyCells', { max: limits.cellsPerRow, line: row.number });
          const text = cellText(cell.value, cell.numFmt);
          if ((unguardedCell(text) ?? text).length > limits.cellLength)
            throw new Refusal('import.file.cellTooLong', { max: limits.cellLength, line: row.number });
          cells[col - 1] = text;
        });
        group.push([Array.from(cells, (c) => c ?? ''), row.number]);
        if (group.length >= RECORD_GROUP) {
          yield group;
          group = [];
        }
      }
      if (group.length) yield group;
      break;
    }
  } finally {
    // The sheet's own stream (of the unpacked file, when there is one) is left open by ExcelJS.
    const from = (sheet as { iterator?: unknown } | undefined)?.iterator;
    if (from instanceof Readable) from.destroy();
    input.destroy();
    await released(input);
    if (from instanceof Readable) await released(from);
    await removeUnpacked();
  }
}

/** A number format that shows a date (its d, m or y outside quoted text and [colours]). */
const isDateFormat = (format: string | undefined) =>
  Boolean(format && /[dmy]/i.test(format.replace(/"[^"]*"|\[[^\]]*\]/g, '')));

/** A date as Excel counts them (days since 30.12.1899). */
const fromSerial = (serial: number) => new Date(Math.round((serial - 25_569) * 86_400_000));

function cellText(value: ExcelJS.CellValue, numFmt?: string): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  // Numbers are written the Danish way, so amounts and years read as they do from a CSV.
  if (typeof value === 'number') return String(value).replace('.', ',');
  if (typeof value === 'string') return neutraliseCell(value);
  if (typeof value === 'boolean') return String(value);
  if ('formula' in value || 'sharedFormula' in value) {
    // A sum or a date worked out in the sheet is its result; a formula giving text is kept as the
    // formula, so it is refused rather than imported and exported again.
    const f = value as { formula?: string; sharedFormula?: string; result?: unknown };
    if (typeof f.result === 'number' && isDateFormat(numFmt)) return cellText(fromSerial(f.result));
    if (typeof f.result === 'number' || f.result instanceof Date) return cellText(f.result);
    return `=${f.formula ?? f.sharedFormula ?? ''}`;
  }
  if ('richText' in value) return neutraliseCell(value.richText.map((r) => r.text).join(''));
  if ('text' in value) return neutraliseCell(String(value.text));
  if ('error' in value) return String(value.error);
  return '';
}
