/**
 * An admin edits a user's e-mail address, name, role and municipality. Part of the account service
 * (createAccountService spreads these methods in).
 */
import type { Config } from '../../config.ts';
import type { Db, Queryable } from '../../db/client.ts';
import { AppError, notFound, staleVersion } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { queueEmailChangedMails } from './accounts.mails.ts';
import {
  findUser,
  findUserByEmail,
  lockActiveAdmins,
  type UserRow,
  updateUserIfVersion,
} from './accounts.repository.ts';
import { endUnusedPasswordLinks } from './accounts.resets.repository.ts';
import type { EditUserInput } from './accounts.schemas.ts';

/** What the audit trail keeps of a user: never the password hash. */
export const auditUser = (u: UserRow) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  municipalityCode: u.municipalityCode,
  active: u.active,
});

/** Refuses an address another user has, in any case of letters (409, beside the field). */
export async function assertEmailFree(db: Queryable, email: string, userId: number) {
  const holder = await findUserByEmail(db, email);
  if (holder && holder.id !== userId) {
    throw new AppError('DUPLICATE_EMAIL', 409, 'account.email.duplicate', {
      fieldErrors: { email: ['account.email.duplicate'] },
    });
  }
}

export function userEditMethods(db: Db, config: Config, assertKnownMunicipality: (code: number) => Promise<void>) {
  return {
    /**
     * The admin must be one who writes the users of both the user's municipality and the one they
     * move to (today: their own). The municipality's last active admin keeps the role: an admin
     * cannot demote (or move away) themself, or another, if no other admin would be left. A new
     * e-mail address must be no other user's; the old address is told of it, the new one confirmed.
     */
    async editUser(principal: Principal, id: number, input: EditUserInput): Promise<UserRow> {
      const user = await findUser(db, id);
      if (!user) throw notFound('user', id);
      assertMayWrite(principal, 'users', user.municipalityCode);
      assertMayWrite(principal, 'users', input.municipalityCode);
      await assertKnownMunicipality(input.municipalityCode);
      return db.transaction(async (tx) => {
        const emailChanged = input.email !== user.email.toLowerCase();
        if (emailChanged) await assertEmailFree(tx, input.email, id);
        const leavesAdmins = input.role !== 'admin' || input.municipalityCode !== user.municipalityCode;
        if (user.role === 'admin' && user.active && leavesAdmins) {
          const admins = await lockActiveAdmins(tx, user.municipalityCode);
          if (!admins.some((adminId) => adminId !== id)) {
            throw new AppError('LAST_ADMIN', 409, 'users.edit.lastAdmin', {
              fieldErrors: { role: ['users.edit.lastAdmin'] },
            });
          }
        }
        const after = await updateUserIfVersion(tx, id, input.version, {
          email: emailChanged ? input.email : user.email,
          name: input.name,
          role: input.role,
          municipalityCode: input.municipalityCode,
        });
        if (!after) {
          const current = await findUser(tx, id);
          throw staleVersion('user', current ? { ...auditUser(current), version: current.version } : null);
        }
        await recordAudit(tx, principal, {
          entity: 'user',
          entityId: id,
          action: 'update',
          before: auditUser(user),
          after: auditUser(after),
        });
        if (after.email !== user.email) {
          // A link mailed to the old address no longer sets the password (a new welcome link can be sent).
          await endUnusedPasswordLinks(tx, id);
          await queueEmailChangedMails(tx, config, after, user.email);
        }
        return after;
      });
    },
  };
}
