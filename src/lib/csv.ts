import { oereAsDecimal } from './money.ts';

/**
 * A small RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF, LF or CR line ends. Calls fn with
 * each record as it is read (return false to stop), so a large file is never held as one table.
 * Unquoted fields are slices of the text, not copies.
 */
export function forEachCsvRecord(text: string, delimiter: string, fn: (cells: string[]) => boolean | undefined): void {
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

/** A cell that a spreadsheet would read as a formula (=, +, -, @, or a tab/CR first) gets a leading apostrophe. */
export function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** A money cell, written as a decimal-comma number of kroner: øre as a number, or a sum as a decimal string. */
export interface MoneyCell {
  oere: number | string;
}
export type CsvCell = string | number | MoneyCell | null | undefined;

/**
 * CSV for Danish Excel: UTF-8 with a BOM, semicolons between fields, CRLF line ends. Text cells
 * are neutralised against formula injection; numbers are written by the caller (decimal commas).
 */
export function toDanishCsv(header: string[], rows: CsvCell[][]): string {
  const cell = (v: CsvCell) => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'number' ? String(v) : typeof v === 'object' ? oereAsDecimal(v.oere) : neutraliseCell(v);
    return /[;"\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `\ufeff${[header, ...rows].map((r) => r.map(cell).join(';')).join('\r\n')}\r\n`;
}
