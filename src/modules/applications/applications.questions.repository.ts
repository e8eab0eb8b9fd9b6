import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { applicationQuestions } from '../../db/schema/index.ts';
import { nextVersion } from '../../db/versions.ts';

export type QuestionRow = typeof applicationQuestions.$inferSelect;

/** An application's questions, oldest first. */
export async function questionsOf(db: Queryable, applicationId: number): Promise<QuestionRow[]> {
  return db
    .select()
    .from(applicationQuestions)
    .where(eq(applicationQuestions.applicationId, applicationId))
    .orderBy(asc(applicationQuestions.askedAt), asc(applicationQuestions.id));
}

/** One question of this application, or undefined (also for another application's question). */
export async function questionOf(
  db: Queryable,
  applicationId: number,
  questionId: number,
): Promise<QuestionRow | undefined> {
  const [row] = await db
    .select()
    .from(applicationQuestions)
    .where(and(eq(applicationQuestions.id, questionId), eq(applicationQuestions.applicationId, applicationId)));
  return row;
}

export async function insertQuestion(
  db: Queryable,
  values: { applicationId: number; askedBy: number; body: string },
): Promise<QuestionRow> {
  const [row] = await db.insert(applicationQuestions).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** Answers a question still unanswered, from the version read: undefined when answered or stale. */
export async function answerIfOpen(
  db: Queryable,
  applicationId: number,
  questionId: number,
  version: number,
  answer: string,
): Promise<QuestionRow | undefined> {
  const [row] = await db
    .update(applicationQuestions)
    .set({ answer, answeredAt: sql`now()`, ...nextVersion(applicationQuestions) })
    .where(
      and(
        eq(applicationQuestions.id, questionId),
        eq(applicationQuestions.applicationId, applicationId),
        eq(applicationQuestions.version, version),
        isNull(applicationQuestions.answeredAt),
      ),
    )
    .returning();
  return row;
}
