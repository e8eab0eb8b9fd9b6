import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { applications } from './applications.ts';

/**
 * A question the municipality asks an applicant about an application, and the applicant's answer
 * through the secret link (issue 21). An answer once given is not changed. The retention job empties
 * both bodies (the question to '', the answer to null) when it erases the application's personal data.
 */
export const applicationQuestions = pgTable(
  'application_questions',
  {
    id: serial('id').primaryKey(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    askedBy: integer('asked_by')
      .notNull()
      .references(() => users.id),
    body: text('body').notNull(),
    askedAt: timestamp('asked_at', { withTimezone: true }).notNull().defaultNow(),
    answer: text('answer'),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('application_questions_application_idx').on(t.applicationId, t.askedAt),
    check('application_questions_answer_ck', sql`${t.answer} is null or ${t.answeredAt} is not null`),
  ],
);
