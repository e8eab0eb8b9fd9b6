import type { Queryable } from '../../db/client.ts';
import { AppError } from '../../lib/errors.ts';
import type { Principal } from '../../lib/principal.ts';
import type { ImportProblem, ImportSummary } from './imports.schemas.ts';

/*
 * The plan of an import: what checking a file finds (its problems, or what it would do) and, when
 * it holds, how the run writes it. grant-plan.ts plans a grant list, actor-list.ts an actor list.
 */

/** Problems kept per file: enough to see what is wrong, not a copy of a broken file. */
export const MAX_PROBLEMS = 1000;
/** Rows shown in the preview. */
export const SAMPLE = 10;
/** Rows written per statement. */
export const SLICE = 5000;

/** A row the import would write was changed by someone else after the import read it. */
export const importConflict = () => new AppError('IMPORT_CONFLICT', 409, 'import.conflict');

export interface Plan {
  problems: ImportProblem[];
  summary: ImportSummary;
  unresolved: number;
  write: (tx: Queryable, principal: Principal, importId: number, progress: (n: number) => void) => Promise<void>;
}

/** A file that does not hold: its problems, and nothing to write. */
export function invalidPlan(problems: ImportProblem[]): Plan {
  return {
    problems,
    summary: {
      actorsCreated: 0,
      actorsMatched: 0,
      roundsCreated: [],
      created: 0,
      updated: 0,
      skipped: 0,
      skippedLocked: 0,
      matches: [],
    },
    unresolved: 0,
    write: async () => {
      throw new Error('an invalid plan writes nothing');
    },
  };
}
