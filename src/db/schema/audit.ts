import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, smallint, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The records whose changes the follow-up page lists as "changed recently" (not sign-ins, refusals,
 * users or settings), as an SQL list: the partial index below holds these only, and a query uses it
 * when it names them in the same words (literally, not as parameters).
 */
export const recordEntities = sql.raw(
  `(${['actor', 'grant', 'grant_round', 'agreement', 'meeting', 'action_item', 'outreach'].map((e) => `'${e}'`).join(', ')})`,
);

/**
 * The audit trail (revisionsspor). Append-only: a trigger refuses UPDATE and DELETE.
 * Written in the same transaction as the change it records.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    userId: integer('user_id'),
    municipalityCode: smallint('municipality_code'),
    entity: text('entity').notNull(),
    entityId: text('entity_id').notNull(),
    action: text('action').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
  },
  (t) => [
    index('audit_log_entity_idx').on(t.entity, t.entityId, t.at),
    // A municipality's trail newest first (at desc, id desc: a page of it is read off the index, not
    // sorted from all of it), and the follow-up page's "changed recently".
    index('audit_log_municipality_at_id_idx').on(t.municipalityCode, t.at, t.id),
    // Which entities and actions a municipality's trail holds (the filters' choices), one index
    // descent per pair rather than a read of the whole trail.
    index('audit_log_municipality_entity_action_idx').on(t.municipalityCode, t.entity, t.action),
    // The same for the records' changes only, newest first read backwards (at desc, id desc): the
    // sign-ins and refusals between them are not read.
    index('audit_log_records_recent_idx')
      .on(t.municipalityCode, t.at, t.id)
      .where(sql`${t.entity} in ${recordEntities}`),
  ],
);
