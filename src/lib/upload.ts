import ExcelJS from 'exceljs';
import { forEachCsvRecord } from './csv.ts';
import { isIsoDate } from './dates.ts';
import { AppError } from './errors.ts';

/**
 * A spreadsheet as read from an upload: the header line, and the rows below it as text, read one
 * at a time (a CSV is parsed again on each pass rather than held as a table of strings).
 */
export interface Table {
  header: string[];
  /** Rows with something in them. */
  rowCount: number;
  /** Each row with something in it, and its line in the file (the header is line 1); false stops. */
  forEachRow(fn: (cells: string[], line: number) => boolean | undefined): void;
}

const uploadError = (message: string) => new AppError('IMPORT_UNREADABLE', 400, message);

/**
 * Text from an uploaded CSV: UTF-8 (with or without a BOM), or else Windows-1252 as older Excel
 * writes it. UTF-16, binary files and UTF-8 that was decoded as Windows-1252 once too often are
 * refused with a message saying which, rather than imported as mojibake.
 */
export function decodeUpload(buffer: Buffer): string {
  if (
    (buffer[0] === 0xff && buffer[1] === 0xfe) ||
    (buffer[0] === 0xfe && buffer[1] === 0xff) ||
    looksLikeUtf16(buffer)
  ) {
    throw uploadError('import.file.utf16');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    text = new TextDecoder('windows-1252').decode(buffer);
  }
  // Control characters (NUL, C1 codes from bytes Windows-1252 leaves undefined) mean it is not text.
  if (hasControlCharacters(text)) throw uploadError('import.file.binary');
  // "Ã¸" for "ø", "Ã¦" for "æ", "Ã¥" for "å", "Ã˜" for "Ø": UTF-8 saved again as Windows-1252.
  if (/Ã[¦¸¥†˜…]/.test(text)) throw uploadError('import.file.doubleEncoded');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** C0 and C1 control characters other than tab and line ends, or the replacement character. */
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f) || c === 0xfffd) return true;
  }
  return false;
}

/** Every other byte zero in the first kilobyte: UTF-16 without its byte-order mark. */
function looksLikeUtf16(buffer: Buffer): boolean {
  const sample = buffer.subarray(0, 1024);
  if (sample.length < 4) return false;
  let zeros = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) zeros++;
  return zeros > sample.length / 4;
}

/** The separator of the header line: the one of ; , and tab it holds most of. */
export function guessDelimiter(text: string): string {
  const first = text.slice(0, text.search(/\r|\n|$/));
  const counts = [';', ',', '\t'].map((d) => [d, first.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]?.[1] ? counts[0][0] : ';';
}

const isXlsx = (buffer: Buffer) => buffer.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
/** An old Excel .xls (an OLE compound file): not read, but named as what it is. */
const isOldExcel = (buffer: Buffer) => buffer.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]));

const blank = (cells: string[]) => cells.every((c) => c.trim() === '');

/** Reads a CSV or XLSX upload. Blank lines are passed over; the others keep their line numbers. */
export async function readTable(buffer: Buffer): Promise<Table> {
  if (!buffer.length) throw uploadError('import.file.empty');
  let header: string[] = [];
  let records: (fn: (cells: string[]) => boolean | undefined) => void;
  if (isOldExcel(buffer)) throw uploadError('import.file.badXlsx');
  if (isXlsx(buffer)) {
    const rows = await readXlsx(buffer);
    records = (fn) => {
      for (const r of rows) if (fn(r) === false) return;
    };
  } else {
    const text = decodeUpload(buffer);
    const delimiter = guessDelimiter(text);
    records = (fn) => forEachCsvRecord(text, delimiter, fn);
  }
  records((cells) => {
    header = cells.map((h) => h.trim());
    return false;
  });
  if (!header.some((h) => h !== '')) throw uploadError('import.file.noHeader');
  if (header.length > 200) throw uploadError('import.file.tooManyColumns');
  const forEachRow = (fn: (cells: string[], line: number) => boolean | undefined) => {
    let line = 0;
    records((cells) => {
      line++;
      if (line === 1 || blank(cells)) return true;
      return fn(cells, line);
    });
  };
  let rowCount = 0;
  forEachRow(() => {
    rowCount++;
    return true;
  });
  return { header, rowCount, forEachRow };
}

/** The first rows of a table, to show what its columns hold. */
export function sampleRows(table: Table, n: number): string[][] {
  const rows: string[][] = [];
  table.forEachRow((cells) => {
    rows.push(cells);
    return rows.length < n;
  });
  return rows;
}

/** The first worksheet, each cell as the text a person sees in it (dates as ISO dates). */
async function readXlsx(buffer: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  } catch {
    throw uploadError('import.file.badXlsx');
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw uploadError('import.file.noHeader');
  const rows: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, n) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    rows[n - 1] = Array.from(cells, (c) => c ?? '');
  });
  return Array.from(rows, (r) => r ?? []);
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  // Numbers are written the Danish way, so amounts and years read as they do from a CSV.
  if (typeof value === 'number') return String(value).replace('.', ',');
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if ('formula' in value || 'sharedFormula' in value) {
    // A sum or a date worked out in the sheet is its result; a formula giving text is kept as the
    // formula, so it is refused rather than imported and exported again.
    const f = value as { formula?: string; sharedFormula?: string; result?: unknown };
    if (typeof f.result === 'number' || f.result instanceof Date) return cellText(f.result);
    return `=${f.formula ?? f.sharedFormula ?? ''}`;
  }
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('text' in value) return String(value.text);
  if ('error' in value) return String(value.error);
  return '';
}

/**
 * A date as Danish lists write it: 1.12.2026, 01-12-2026, 1/12/2026, or 2026-12-01. Undefined
 * when it is not a real calendar date.
 */
export function parseDanishDate(input: string): string | undefined {
  const s = input.trim();
  let iso: string;
  const dmy = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
  if (dmy) iso = `${dmy[3]}-${dmy[2]?.padStart(2, '0')}-${dmy[1]?.padStart(2, '0')}`;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(s)) iso = s;
  else return undefined;
  return isIsoDate(iso) ? iso : undefined;
}

/**
 * Lower case, æ→ae, ø→oe, å→aa, accents dropped, and nothing but letters and digits (of any
 * script): for comparing headers and names.
 */
export function fold(s: string): string {
  return s
    .normalize('NFC')
    .toLowerCase()
    .replaceAll('æ', 'ae')
    .replaceAll('ø', 'oe')
    .replaceAll('å', 'aa')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** Text a spreadsheet would run as a formula: =, +, - or @ first (a lone number such as -5 is not). */
export function isFormula(s: string): boolean {
  // A phone number such as +45 12 34 56 78 is digits only: a spreadsheet runs nothing of it.
  if (/^\+[\d\s()-]+$/.test(s)) return false;
  return /^[=+@\t\r]/.test(s) || /^-(?![\d\s,.]*$)/.test(s);
}
