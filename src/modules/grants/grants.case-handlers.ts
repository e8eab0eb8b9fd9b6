import type { Db, Tx } from '../../db/client.ts';
import { AppError } from '../../lib/errors.ts';
import { caseHandlerCandidates, findCaseHandler } from './grants.repository.ts';

/** The roles that handle a grant's case. */
const CASE_HANDLER_ROLES: readonly string[] = ['finance', 'coordinator'];

/**
 * A grant's case handler (sagsbehandler) must be an active finance user or coordinator of the
 * grant's municipality: anyone else is refused beside the field, with the reason (an unknown user,
 * another municipality's, a deactivated one, another role). Null (no case handler) always passes.
 */
export async function checkCaseHandler(on: Db | Tx, municipalityCode: number, userId: number | null | undefined) {
  if (userId === null || userId === undefined) return;
  const user = await findCaseHandler(on, userId, true);
  const reason = !user
    ? 'unknown'
    : user.municipalityCode !== municipalityCode
      ? 'otherMunicipality'
      : !user.active
        ? 'inactive'
        : !CASE_HANDLER_ROLES.includes(user.role)
          ? 'role'
          : null;
  if (!reason) return;
  const message = `grant.caseHandler.${reason}`;
  throw new AppError('CASE_HANDLER_INVALID', 400, message, {
    fieldErrors: { caseHandlerId: [message] },
    details: { caseHandlerId: userId, reason },
  });
}

/** What the grant pages show of case handlers: who can be chosen, and who a grant's is. */
export function createCaseHandlerService(db: Db) {
  return {
    /** The municipality's active finance users and coordinators, by name, for the forms' menu. */
    caseHandlerOptions: (municipalityCode: number) => caseHandlerCandidates(db, municipalityCode),

    /** A grant's case handler by name, and whether they are still active (the page says so if not). */
    async caseHandler(userId: number | null) {
      if (userId === null) return undefined;
      const user = await findCaseHandler(db, userId);
      return user && { id: user.id, name: user.name, active: user.active };
    },
  };
}
