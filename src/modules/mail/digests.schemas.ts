import { z } from 'zod';
import { MAX_ROW_ID, rowIdParam } from '../../lib/ids.ts';

const frequency = z.enum(['daily', 'weekly', 'off']);

/** A user's choice of reminder digests, per kind (the account page's form and the JSON alike). */
export const digestPreferencesInput = z.object({
  grants: frequency,
  agreements: frequency,
  version: z.coerce.number().int().min(0).max(MAX_ROW_ID),
});
export type DigestPreferencesInput = z.infer<typeof digestPreferencesInput>;

/** When a municipality's digest goes out, Danish time: 00:00–23:59 on the minute. */
export const digestTimeInput = z.object({
  digestTime: z
    .string()
    .trim()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'mail.digest.time.invalid'),
  version: z.coerce.number().int().min(0).max(MAX_ROW_ID),
});
export type DigestTimeInput = z.infer<typeof digestTimeInput>;

/** The unsubscribe link's address: whose digest, and the HMAC that proves the link was ours. */
export const unsubscribeQuery = z.object({
  user: rowIdParam,
  token: z.string().regex(/^[\w-]{20,100}$/),
});
