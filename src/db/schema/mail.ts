import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { municipalities } from './reference.ts';

/**
 * The mail outbox: a mail is a row written in the same transaction as the change that causes it,
 * and sent by the mail sender after commit. A rolled-back change leaves no row, so it sends nothing;
 * a crash after commit leaves the row queued, so it is sent at the next start. A sender claims a
 * row with a lease (`FOR UPDATE SKIP LOCKED`), so two processes never send the same mail at once.
 * The bodies are cleared once the mail is sent or given up: the row keeps who, what kind and when.
 */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The Message-ID header, fixed when queued: a resend after a crash is the same mail. */
    messageId: text('message_id').notNull().unique('mail_outbox_message_id_uq'),
    kind: text('kind').notNull(),
    recipient: text('recipient').notNull(),
    userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** Whose admins see it on the mail status page. */
    municipalityCode: smallint('municipality_code').references(() => municipalities.code),
    subject: text('subject').notNull(),
    textBody: text('text_body'),
    htmlBody: text('html_body'),
    /** Extra headers (List-Unsubscribe and the like). */
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    status: text('status', { enum: ['queued', 'sent', 'failed'] })
      .notNull()
      .default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** Held by the sender that claimed it until then; after that another may try. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    index('mail_outbox_due_idx').on(t.nextAttemptAt).where(sql`status = 'queued'`),
    index('mail_outbox_municipality_idx').on(t.municipalityCode, t.id),
  ],
);

/**
 * A link to choose a password, single use, of which only a hash of its token is stored: a forgotten
 * password's (`reset`, 30 minutes) or a new user's welcome (`welcome`, 7 days).
 */
export const passwordResets = pgTable(
  'password_resets',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique('password_resets_token_hash_uq'),
    purpose: text('purpose', { enum: ['reset', 'welcome'] })
      .notNull()
      .default('reset'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('password_resets_user_idx').on(t.userId),
    check('password_resets_purpose_ck', sql`${t.purpose} in ('reset', 'welcome')`),
  ],
);

/**
 * When a municipality's reminder digest goes out, Danish time (HH:MM); no row means 07:00. Set by
 * the municipality's admins on the mail page.
 */
export const digestSettings = pgTable('digest_settings', {
  municipalityCode: smallint('municipality_code')
    .primaryKey()
    .references(() => municipalities.code),
  digestTime: text('digest_time').notNull().default('07:00'),
  version: integer('version').notNull().default(1),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** How often a user wants the reminder digest, per kind; no row means daily for both. */
export const digestPreferences = pgTable('digest_preferences', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  grants: text('grants', { enum: ['daily', 'weekly', 'off'] })
    .notNull()
    .default('daily'),
  agreements: text('agreements', { enum: ['daily', 'weekly', 'off'] })
    .notNull()
    .default('daily'),
  version: integer('version').notNull().default(1),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One digest run per municipality and Danish date, inserted in the transaction that queues its
 * mails: a second process, or a restart, finds the row and sends nothing more that day.
 */
export const digestRuns = pgTable(
  'digest_runs',
  {
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
    runOn: date('run_on').notNull(),
    mails: integer('mails').notNull().default(0),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.municipalityCode, t.runOn] })],
);

/** The key unsubscribe links are derived from by HMAC (one row, made at first use); no token is stored. */
export const mailKeys = pgTable('mail_keys', {
  id: smallint('id').primaryKey(),
  unsubscribeKey: text('unsubscribe_key').notNull(),
});
