import { z } from 'zod';
import { userRoles } from '../../lib/principal.ts';
import { municipalityCode } from '../municipalities/municipalities.schemas.ts';

const password = z.string().min(12, 'account.password.tooShort').max(128, 'account.password.tooLong');

export const newUserInput = z.object({
  email: z
    .email()
    .max(320)
    .transform((e) => e.toLowerCase()),
  name: z.string().trim().min(1).max(200),
  password,
  role: z.enum(userRoles),
  municipalityCode,
});
export type NewUserInput = z.infer<typeof newUserInput>;

/** The first admin, created on the setup page when no user exists. */
export const setupInput = newUserInput.omit({ role: true });

export const loginInput = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(128),
});

export const tokenNameInput = z.object({ name: z.string().trim().min(1).max(100) });
