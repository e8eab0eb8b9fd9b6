import { z } from 'zod';
import { rowVersion } from '../../lib/ids.ts';

/** A question to an applicant, and an answer to one: one schema for the form and the service. */
export const questionInput = z.object({ body: z.string().trim().min(1).max(5_000) });
export type QuestionInput = z.output<typeof questionInput>;

export const answerInput = z.object({
  answer: z.string().trim().min(1).max(10_000),
  version: rowVersion,
});
export type AnswerInput = z.output<typeof answerInput>;
