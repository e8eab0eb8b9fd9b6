/**
 * The year a row of a grant list belongs to, and the round it names. A list need not have a year
 * column: the year is then read from the round's name as the grant export writes it ("Puljen
 * (2026)"), else taken from the year typed for the whole file, else from the decision (award) date.
 */

const FIRST_YEAR = 2000;
const LAST_YEAR = 2100;

const inRange = (year: number) => year >= FIRST_YEAR && year <= LAST_YEAR;

/** "Puljen (2026)", as the grant export writes a round: the name and the year in parentheses. */
function roundWithYear(text: string): { name: string; year: number } | undefined {
  const m = /^(.*\S)\s*\((\d{4})\)$/.exec(text);
  if (!m?.[1]) return undefined;
  const year = Number(m[2]);
  return inRange(year) ? { name: m[1], year } : undefined;
}

export interface GrantYearInput {
  /** The year cell ('' when empty or unmapped). */
  yearText: string;
  /** The round cell (null when empty or unmapped). */
  roundText: string | null;
  defaultYear: number | undefined;
  /** The decision date, read (an ISO date), or null. */
  decisionOn: string | null;
}

export type GrantYear =
  | {
      year: number;
      /** The round's name without the year the export adds to it (null: the row names none). */
      roundName: string | null;
      /** The name as the file writes it, when the year was taken off it: a round may be named so. */
      roundAsWritten: string | null;
    }
  | {
      problem:
        | { field: 'year' | 'decisionOn'; message: 'import.year'; value: string }
        | { message: 'import.yearUnknown' };
    };

/** The row's year: its year cell, else its round's "(2026)", else the file's year, else its decision date. */
export function grantYearOf(input: GrantYearInput): GrantYear {
  const { yearText, roundText } = input;
  const named = roundText ? roundWithYear(roundText) : undefined;
  let year: number;
  if (yearText) {
    year = /^\d{4}$/.test(yearText) ? Number(yearText) : 0;
    if (!inRange(year)) return { problem: { field: 'year', message: 'import.year', value: yearText } };
  } else if (named) year = named.year;
  else if (input.defaultYear) year = input.defaultYear;
  else if (input.decisionOn) {
    year = Number(input.decisionOn.slice(0, 4));
    if (!inRange(year)) return { problem: { field: 'decisionOn', message: 'import.year', value: input.decisionOn } };
  } else return { problem: { message: 'import.yearUnknown' } };
  // "Puljen (2026)" in 2026 is the round "Puljen"; in another year, the parentheses are its name's own.
  const stripped = named && named.year === year ? named.name : null;
  return { year, roundName: stripped ?? roundText, roundAsWritten: stripped ? roundText : null };
}
