import { unguardedCell } from '../../lib/csv.ts';
import { isEightDigits, normaliseCvr, passesModulus11 } from '../../lib/cvr.ts';
import { parseKroner } from '../../lib/money.ts';
import { isFormula, type Table } from '../../lib/upload.ts';
import { MAX_PROBLEMS } from './imports.plan.ts';
import { fieldsOf, type ImportKind, type ImportMapping, type ImportProblem } from './imports.schemas.ts';

/* The mapped cells of a file's rows, read and checked, whatever the kind of list. */

/**
 * Reads the mapped cells of each row and collects the problems, line by line. A cell the CSV export
 * guarded against formulas ('=Foreningen) is read without the guard's apostrophe.
 */
export class RowReader {
  readonly problems: ImportProblem[] = [];
  /** Problems of each message, all of them counted (beyond MAX_PROBLEMS too). */
  readonly counts = new Map<string, number>();
  private readonly index = new Map<string, number>();
  readonly table: Table;
  readonly mapping: ImportMapping;

  constructor(table: Table, mapping: ImportMapping) {
    this.table = table;
    this.mapping = mapping;
    for (const [field, header] of Object.entries(mapping.columns)) {
      const i = table.header.indexOf(header);
      if (i >= 0) this.index.set(field, i);
    }
  }

  has(field: string) {
    return this.index.has(field);
  }

  /** The cell as the file holds it, trimmed. */
  private raw(row: string[], field: string): string {
    const i = this.index.get(field);
    return i === undefined ? '' : (row[i] ?? '').trim();
  }

  cell(row: string[], field: string): string {
    const v = this.raw(row, field);
    return unguardedCell(v) ?? v;
  }

  problem(line: number, field: string, message: string, value?: string, params?: Record<string, string | number>) {
    this.counts.set(message, (this.counts.get(message) ?? 0) + 1);
    if (this.problems.length >= MAX_PROBLEMS) return;
    this.problems.push({
      line,
      column: this.mapping.columns[field] ?? field,
      ...(value !== undefined ? { value: value.slice(0, 200) } : {}),
      message,
      ...(params ? { params } : {}),
    });
  }

  /**
   * Text of at most max characters that a spreadsheet would not run as a formula: a cell the guard
   * protected is text, whatever it begins with.
   */
  text(row: string[], line: number, field: string, max: number): string {
    const raw = this.raw(row, field);
    const v = unguardedCell(raw) ?? raw;
    if (v === raw && v && isFormula(v)) this.problem(line, field, 'import.formula', v);
    else if (v.length > max) this.problem(line, field, 'import.tooLong', v, { max });
    return v;
  }

  /** A CVR number, checked; '' when the cell is empty. */
  cvr(row: string[], line: number): string | null {
    const v = this.cell(row, 'cvr');
    if (!v) return null;
    const cvr = normaliseCvr(v);
    if (!isEightDigits(cvr)) this.problem(line, 'cvr', 'import.cvrDigits', v);
    else if (!passesModulus11(cvr)) this.problem(line, 'cvr', 'import.cvrModulus11', v);
    else return cvr;
    return null;
  }

  kroner(row: string[], line: number, field: string): number | null {
    const v = this.cell(row, field);
    if (!v) return null;
    const parsed = parseKroner(v);
    if (!parsed.ok) {
      this.problem(line, field, `import.${parsed.error}`, v);
      return null;
    }
    return Number(parsed.oere);
  }
}

/** Columns every file of the kind must have mapped, and headers that must exist. */
export function mappingProblems(kind: ImportKind, table: Table, mapping: ImportMapping): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const [field, header] of Object.entries(mapping.columns)) {
    if (!fieldsOf(kind).some((f) => f.key === field))
      problems.push({ line: 0, column: field, message: 'import.unknownField' });
    else if (!table.header.includes(header)) problems.push({ line: 1, column: header, message: 'import.noSuchColumn' });
  }
  for (const f of fieldsOf(kind)) {
    if (f.required && !mapping.columns[f.key])
      problems.push({ line: 1, column: f.key, message: `import.missing.${f.key}` });
  }
  if (kind === 'grants') {
    if (!mapping.columns.awarded && !mapping.columns.requested)
      problems.push({ line: 1, column: 'awarded', message: 'import.missing.amount' });
    // A row's year is in its year cell, its round's name ("Puljen (2026)"), the file's or its decision date.
    const { year, roundName, decisionOn } = mapping.columns;
    if (!year && !roundName && !decisionOn && !mapping.defaultYear)
      problems.push({ line: 1, column: 'year', message: 'import.missing.year' });
  }
  return problems;
}

export function problemOf(
  mapping: ImportMapping,
  line: number,
  field: string,
  message: string,
  value: string,
  params: Record<string, number>,
): ImportProblem {
  return { line, column: mapping.columns[field] ?? field, value: value.slice(0, 200), message, params };
}
