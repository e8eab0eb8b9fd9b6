import { z } from 'zod';
import { rowId } from '../../lib/ids.ts';
import { municipalityCode } from '../municipalities/municipalities.schemas.ts';

export const targetGroupSchema = z.object({
  id: z.number().int(),
  ffbCode: z.string().nullable().describe('FFB concept code (UUID); null for a local group'),
  nameDa: z.string(),
  nameEn: z.string().nullable(),
  parentId: z.number().int().nullable(),
  municipalityCode: z.number().int().nullable().describe('The municipality that added a local group; null for FFB'),
});

/** A local target group under an FFB group or another local group. */
export const localTargetGroupInput = z.object({
  nameDa: z.string().trim().min(1).max(200),
  nameEn: z.string().trim().max(200).nullish(),
  parentId: rowId,
  municipalityCode: municipalityCode
    .optional()
    .describe('The municipality adding the group: always the signed-in user’s own; another gives 403'),
});
export type LocalTargetGroupInput = z.infer<typeof localTargetGroupInput>;
