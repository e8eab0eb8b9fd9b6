import { z } from 'zod';

/** The JSON error body every API route answers with: {statusCode, code, message, fieldErrors?}. */
export const errorSchema = z.object({
  statusCode: z.number().int(),
  code: z.string(),
  message: z.string(),
  fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
  current: z.unknown().optional().describe('On a stale version: the record as it is now'),
});

export function errorResponses(...codes: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(codes.map((c) => [c, errorSchema]));
}
