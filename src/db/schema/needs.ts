import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { municipalities, targetGroups } from './reference.ts';

/** Estimated number of people in a target group (any level) in a municipality, per year. */
export const needEstimates = pgTable(
  'need_estimates',
  {
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
    targetGroupId: integer('target_group_id')
      .notNull()
      .references(() => targetGroups.id),
    year: smallint('year').notNull(),
    people: integer('people').notNull(),
    source: text('source'),
    note: text('note'),
    version: integer('version').notNull().default(1),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.municipalityCode, t.year, t.targetGroupId] }),
    index('need_estimates_year_group_idx').on(t.year, t.targetGroupId),
    check('need_estimates_people_ck', sql`${t.people} >= 0`),
  ],
);
