import { oereAsDecimal } from './money.ts';

/**
 * A small RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF, LF or CR line ends. Calls fn with
 * each record as it is read (return false to stop), so a large file is never held as one table.
 * Unquoted fields are slices of the text, not copies.
 */
function forEachCsvRecord(text: string, delimiter: string, fn: (cells: string[]) => boolean | undefined): void {
  const n = text.length;
  const d = delimiter.charCodeAt(0);
  const endOfField = (from: number) => {
    let k = from;
    for (let c = text.charCodeAt(k); k < n && c !== d && c !== 10 && c !== 13; c = text.charCodeAt(++k));
    return k;
  };
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let row: string[] = [];
  for (;;) {
    let value: string;
    if (text.charCodeAt(i) === 34) {
      // A quoted field: up to the closing quote, "" being one quote; anything after it is kept too.
      let parts = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) {
          parts += text.slice(from);
          i = n;
          break;
        }
        if (text.charCodeAt(q + 1) === 34) {
          parts += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        parts += text.slice(from, q);
        i = q + 1;
        break;
      }
      const k = endOfField(i);
      value = parts + text.slice(i, k);
      i = k;
    } else {
      const k = endOfField(i);
      value = text.slice(i, k);
      i = k;
    }
    row.push(value);
    if (i >= n) {
      fn(row);
      return;
    }
    const c = text.charCodeAt(i);
    if (c === d) {
      i++;
      continue;
    }
    i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    if (fn(row) === false || i >= n) return;
    row = [];
  }
}

/** The records of a CSV text, without blank lines. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  forEachCsvRecord(text, delimiter, (r) => {
    if (!(r.length === 1 && r[0] === '')) rows.push(r);
    return true;
  });
  return rows;
}

/** Parses CSV with a header line into records keyed by the header names. */
export function parseCsvRecords(text: string, delimiter = ','): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text, delimiter);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ''])));
}

/** What a spreadsheet would read as a formula: =, +, -, @, or a tab/CR first. */
const FORMULA_FIRST = /^[=+\-@\t\r]/;

/** A cell that a spreadsheet would read as a formula gets a leading apostrophe (the formula guard). */
export function neutraliseCell(value: string): string {
  return FORMULA_FIRST.test(value) ? `'${value}` : value;
}

/**
 * The text neutraliseCell was given: its apostrophe taken off again, where it guards a cell (an
 * apostrophe before anything else is the text's own). Undefined when the cell carries no guard.
 */
export function unguardedCell(value: string): string | undefined {
  return value.startsWith("'") && FORMULA_FIRST.test(value.slice(1)) ? value.slice(1) : undefined;
}

/** A money cell, written as a decimal-comma number of kroner: øre as a number, or a sum as a decimal string. */
interface MoneyCell {
  oere: number | string;
}
/** A date cell: an ISO date (2026-11-22), which Danish Excel reads as a date; a workbook stores a date. */
interface DayCell {
  day: string;
}
export type CsvCell = string | number | MoneyCell | DayCell | null | undefined;

/** Every digit of a number, never an exponent, and no thousands separator. */
const plainNumber = new Intl.NumberFormat('en-US', { useGrouping: false, maximumFractionDigits: 20 });

/**
 * A number as Danish Excel and LibreOffice read it: a decimal comma and no thousands separator
 * ("1.122" would be read as 1122, and "0.25" as text).
 */
const danishCsvNumber = (n: number) => (Number.isFinite(n) ? plainNumber.format(n).replace('.', ',') : '');

/**
 * CSV for Danish Excel: UTF-8 with a BOM, semicolons between fields, CRLF line ends. Text cells
 * are neutralised against formula injection; numbers and money get decimal commas.
 */
export function toDanishCsv(header: string[], rows: CsvCell[][]): string {
  const cell = (v: CsvCell) => {
    if (v === null || v === undefined) return '';
    const s =
      typeof v === 'number'
        ? danishCsvNumber(v)
        : typeof v === 'object'
          ? 'day' in v
            ? v.day
            : oereAsDecimal(v.oere)
          : neutraliseCell(v);
    return /[;"\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `\ufeff${[header, ...rows].map((r) => r.map(cell).join(';')).join('\r\n')}\r\n`;
}

/**
 * An uploaded file refused as it is read (a limit passed, or not a readable table): the message
 * key, and what it names.
 */
export class Refusal extends Error {
  readonly key: string;
  readonly params: Record<string, number>;

  constructor(key: string, params: Record<string, number> = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

export interface CsvLimits {
  maxCells: number;
  maxCellLength: number;
  maxRowLength: number;
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/**
 * The reader of forEachCsvRecord, fed a piece of text at a time: the same fields and records, with
 * no more than one record held, and refusing a record of more than maxCells fields or maxRowLength
 * characters, or a field of more than maxCellLength characters, as it grows (so a file of one
 * endless cell or row is not read whole).
 */
export class CsvStream {
  private field = '';
  private row: string[] = [];
  /** 0 at a field's start, 1 unquoted, 2 inside quotes, 3 just after a quote inside quotes. */
  private state = 0;
  private skipLf = false;
  private record = 1;
  /** Characters in the record so far. */
  private length = 0;
  private readonly delimiter: string;
  private readonly limits: CsvLimits;
  private readonly emit: (cells: string[], record: number) => void;

  constructor(delimiter: string, limits: CsvLimits, emit: (cells: string[], record: number) => void) {
    this.delimiter = delimiter;
    this.limits = limits;
    this.emit = emit;
  }

  push(text: string): void {
    const n = text.length;
    const d = this.delimiter.charCodeAt(0);
    let i = 0;
    if (this.skipLf && n) {
      if (text.charCodeAt(0) === LF) i = 1;
      this.skipLf = false;
    }
    while (i < n) {
      if (this.state === 0) {
        if (text.charCodeAt(i) === QUOTE) {
          this.state = 2;
          i++;
          continue;
        }
        this.state = 1;
      }
      if (this.state === 2) {
        const q = text.indexOf('"', i);
        this.append(text.slice(i, q < 0 ? n : q));
        if (q < 0) return;
        this.state = 3;
        i = q + 1;
        continue;
      }
      if (this.state === 3) {
        if (text.charCodeAt(i) === QUOTE) {
          this.append('"');
          this.state = 2;
          i++;
          continue;
        }
        // After the closing quote, the rest of the field is kept as it is.
        this.state = 1;
      }
      let k = i;
      for (let c = text.charCodeAt(k); k < n && c !== d && c !== LF && c !== CR; c = text.charCodeAt(++k));
      this.append(text.slice(i, k));
      if (k >= n) return;
      const c = text.charCodeAt(k);
      this.endField();
      i = k + 1;
      if (c === d) continue;
      this.endRecord();
      if (c === CR) {
        if (i < n) {
          if (text.charCodeAt(i) === LF) i++;
        } else this.skipLf = true;
      }
    }
  }

  /** The last record, when the text does not end with a line end. */
  end(): void {
    if (this.state !== 0 || this.row.length) {
      this.endField();
      this.endRecord();
    }
  }

  private append(s: string) {
    if (!s) return;
    this.field += s;
    this.length += s.length;
    if (this.field.length > this.limits.maxCellLength)
      throw new Refusal('import.file.cellTooLong', { max: this.limits.maxCellLength, line: this.record });
    if (this.length > this.limits.maxRowLength)
      throw new Refusal('import.file.rowTooLong', { max: this.limits.maxRowLength, line: this.record });
  }

  private endField() {
    if (this.row.length >= this.limits.maxCells)
      throw new Refusal('import.file.tooManyCells', { max: this.limits.maxCells, line: this.record });
    this.row.push(this.field);
    this.field = '';
    this.state = 0;
  }

  private endRecord() {
    const row = this.row;
    this.row = [];
    this.length = 0;
    this.emit(row, this.record++);
  }
}
