/**
 * The reading of uploaded spreadsheets, as the web process and the reader thread share it: a CSV
 * file is read in the web process (its rows and cells are limited, so a row costs little), an XLSX
 * workbook in the reader thread (see table-reader.ts), whose heap limit ends that thread and not the
 * web process when a workbook takes more memory than it may. Either is read from disk a piece at a
 * time, refused as soon as it passes an upload limit, and handed on in batches of rows. This file
 * has the format's detection and the CSV; the workbook's zip and sheet are in xlsx-parse.ts.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { CsvStream, Refusal } from './csv.ts';
import type { TableFormat, TableRow, UploadLimits } from './table-limits.ts';
import { decodeWindows1252 } from './windows-1252.ts';
import { checkZip, xlsxRecords } from './xlsx-parse.ts';

const BATCH_ROWS = 2000;
const BATCH_CHARS = 2_000_000;
/** The first line is looked for in this many characters: the delimiter is guessed from it. */
const FIRST_LINE_CHARS = 1_000_000;

/**
 * The rows of the file with something in them, below the header, in batches: a batch is handed on
 * at BATCH_ROWS rows or BATCH_CHARS characters. Stopping the iteration closes the file.
 */
export async function* batches(path: string, format: TableFormat, limits: UploadLimits): AsyncGenerator<TableRow[]> {
  let batch: TableRow[] = [];
  let chars = 0;
  for await (const group of records(path, format, limits)) {
    for (const [cells, line] of group) {
      if (line === 1 || blank(cells)) continue;
      batch.push({ cells, line });
      for (const c of cells) chars += c.length;
      if (batch.length >= BATCH_ROWS || chars >= BATCH_CHARS) {
        const full = batch;
        batch = [];
        chars = 0;
        yield full;
      }
    }
  }
  if (batch.length) yield batch;
}

const blank = (cells: string[]) => cells.every((c) => c.trim() === '');

/** Reads the whole file once: its format, its header, and its rows counted, every limit checked. */
export async function scan(
  path: string,
  limits: UploadLimits,
): Promise<TableFormat & { header: string[]; rowCount: number }> {
  const head = Buffer.alloc(1024);
  const fh = await open(path, 'r');
  let got: number;
  let size: number;
  try {
    got = (await fh.read(head, 0, head.length, 0)).bytesRead;
    size = (await fh.stat()).size;
  } finally {
    await fh.close();
  }
  const first = head.subarray(0, got);
  if (!size) throw new Refusal('import.file.empty');
  if (size > limits.bytes) throw new Refusal('import.file.tooLarge', { max: limits.bytes / 1024 / 1024 });
  if (first.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) throw new Refusal('import.file.badXlsx');
  let format: TableFormat;
  if (first.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    await checkZip(path, limits);
    format = { kind: 'xlsx', encoding: 'utf-8', delimiter: ';' };
  } else {
    if ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff) || looksLikeUtf16(first))
      throw new Refusal('import.file.utf16');
    const delimiter = await firstLineDelimiter(path);
    format = { kind: 'csv', encoding: 'utf-8', delimiter };
    try {
      await checkText(path, 'utf-8');
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      format.encoding = 'windows-1252';
      await checkText(path, 'windows-1252');
    }
  }
  let header: string[] = [];
  let rowCount = 0;
  for await (const group of records(path, format, limits)) {
    for (const [cells, line] of group) {
      if (line === 1) {
        header = cells.map((h) => h.trim());
        if (!header.some((h) => h !== '')) throw new Refusal('import.file.noHeader');
        if (header.length > 200) throw new Refusal('import.file.tooManyColumns');
        continue;
      }
      if (blank(cells)) continue;
      if (++rowCount > limits.rows) throw new Refusal('import.file.tooManyRows', { max: limits.rows });
    }
  }
  if (!header.some((h) => h !== '')) throw new Refusal('import.file.noHeader');
  return { ...format, header, rowCount };
}

/** Every other byte zero in the first kilobyte: UTF-16 without its byte-order mark. */
function looksLikeUtf16(sample: Buffer): boolean {
  if (sample.length < 4) return false;
  let zeros = 0;
  for (const b of sample) if (b === 0) zeros++;
  return zeros > sample.length / 4;
}

/** The separator of the header line: the one of ; , and tab it holds most of. */
function guessDelimiter(text: string): string {
  const first = text.slice(0, text.search(/\r|\n|$/));
  const counts = [';', ',', '\t'].map((d) => [d, first.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]?.[1] ? counts[0][0] : ';';
}

async function firstLineDelimiter(path: string): Promise<string> {
  // Latin-1 is enough to find separators and line ends, whatever the file's encoding.
  let text = '';
  for await (const chunk of createReadStream(path, { end: FIRST_LINE_CHARS - 1 })) {
    text += (chunk as Buffer).toString('latin1');
    if (/[\r\n]/.test(text)) break;
  }
  return guessDelimiter(text);
}

/** The file's text a piece at a time; a TypeError when it is not valid UTF-8 where it should be. */
async function* decoded(path: string, encoding: TableFormat['encoding']): AsyncGenerator<string> {
  const utf8 = encoding === 'utf-8' ? new TextDecoder('utf-8', { fatal: true }) : undefined;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const text = utf8 ? utf8.decode(chunk as Buffer, { stream: true }) : decodeWindows1252(chunk as Buffer);
    if (text) yield text;
  }
  const rest = utf8?.decode();
  if (rest) yield rest;
}

/**
 * Refuses text that is not text: control characters (NUL, C1 codes from bytes Windows-1252 leaves
 * undefined), or UTF-8 that was saved again as Windows-1252 ("Ã¸" for "ø").
 */
async function checkText(path: string, encoding: TableFormat['encoding']) {
  let tail = '';
  for await (const text of decoded(path, encoding)) {
    if (hasControlCharacters(text)) throw new Refusal('import.file.binary');
    if (/Ã[¦¸¥†˜…]/.test(tail + text)) throw new Refusal('import.file.doubleEncoded');
    tail = text.slice(-1);
  }
}

/** C0 and C1 control characters other than tab and line ends, or the replacement character. */
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f) || c === 0xfffd) return true;
  }
  return false;
}

/**
 * Each record of the file and its number (the header is 1), blank ones included, in groups: those
 * of one piece of the file read. A million rows are a thousand steps of the iteration, not a million
 * (each step of an async iteration costs a few promises).
 */
async function* records(path: string, format: TableFormat, limits: UploadLimits): AsyncGenerator<[string[], number][]> {
  if (format.kind === 'xlsx') {
    yield* xlsxRecords(path, limits);
    return;
  }
  let ready: [string[], number][] = [];
  const parser = new CsvStream(
    format.delimiter,
    { maxCells: limits.cellsPerRow, maxCellLength: limits.cellLength, maxRowLength: limits.rowLength },
    (cells, n) => {
      ready.push([cells, n]);
    },
  );
  for await (const text of decoded(path, format.encoding)) {
    parser.push(text);
    if (!ready.length) continue;
    const group = ready;
    ready = [];
    yield group;
  }
  parser.end();
  if (ready.length) yield ready;
}
