import { z } from 'zod';
import { rowVersion } from '../../lib/ids.ts';
import { userRoles } from '../../lib/principal.ts';
import { municipalityCode } from '../municipalities/municipalities.schemas.ts';

const password = z.string().min(12, 'account.password.tooShort').max(128, 'account.password.tooLong');
const email = z
  .email()
  .max(320)
  .transform((e) => e.toLowerCase());

/** A user with a password of their own (the command line's `user create`). */
export const newUserInput = z.object({
  email,
  name: z.string().trim().min(1).max(200),
  password,
  role: z.enum(userRoles),
  municipalityCode,
});
export type NewUserInput = z.infer<typeof newUserInput>;

/** An admin's new user: no password, the user chooses one through the welcome mail's link. */
export const inviteUserInput = newUserInput.omit({ password: true });
export type InviteUserInput = z.infer<typeof inviteUserInput>;

/** The first admin, created on the setup page when no user exists. */
export const setupInput = newUserInput.omit({ role: true });

export const loginInput = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(128),
});

export const tokenNameInput = z.object({ name: z.string().trim().min(1).max(100) });

/** A user changing their own password: the current one, and the new one twice. */
export const changePasswordInput = z
  .object({
    currentPassword: z.string().min(1, 'account.password.currentRequired').max(128, 'account.password.tooLong'),
    newPassword: password,
    repeatPassword: z.string().max(128, 'account.password.tooLong'),
  })
  .refine((v) => v.newPassword === v.repeatPassword, {
    path: ['repeatPassword'],
    message: 'account.password.mismatch',
  });

/** Asking for a forgotten-password link: an address that looks like one (whose it is, is not said). */
export const forgottenPasswordInput = z.object({ email: z.email('password.forgotten.badEmail').max(320) });

/** A new password through a forgotten-password link: the link's token, and the password twice. */
export const linkPasswordInput = z
  .object({
    token: z.string().min(1).max(200),
    newPassword: password,
    repeatPassword: z.string().max(128, 'account.password.tooLong'),
  })
  .refine((v) => v.newPassword === v.repeatPassword, {
    path: ['repeatPassword'],
    message: 'account.password.mismatch',
  });

/** An admin's temporary password for a user. */
export const resetPasswordInput = z.object({ password });

/** An admin's edit of a user: e-mail, name, role and municipality, at the version read. */
export const editUserInput = z.object({
  email,
  name: newUserInput.shape.name,
  role: newUserInput.shape.role,
  municipalityCode,
  version: rowVersion,
});
export type EditUserInput = z.infer<typeof editUserInput>;

/** A user changing their own e-mail address: the new one, and their current password. */
export const changeEmailInput = z.object({
  newEmail: email,
  currentPassword: z.string().min(1, 'account.password.currentRequired').max(128, 'account.password.tooLong'),
});

/** The language of a user's mails (and pages). */
export const localeInput = z.object({ locale: z.enum(['da', 'en']) });
