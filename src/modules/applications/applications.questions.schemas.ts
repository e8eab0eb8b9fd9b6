import { z } from 'zod';

/** A question to an applicant, and an answer to one: one schema for the form and the service. */
export const questionInput = z.object({ body: z.string().trim().min(1).max(5_000) });
export type QuestionInput = z.output<typeof questionInput>;

export const answerInput = z.object({
  answer: z.string().trim().min(1).max(10_000),
  version: z.number().int().min(1).max(2_147_483_647),
});
export type AnswerInput = z.output<typeof answerInput>;
