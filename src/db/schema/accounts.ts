import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { municipalities } from './reference.ts';

export const userRoleEnum = pgEnum('user_role', ['admin', 'coordinator', 'finance', 'viewer']);

/** People who sign in. Each belongs to one municipality and has one role. */
export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: userRoleEnum('role').notNull(),
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
    active: boolean('active').notNull().default(true),
    passwordHash: text('password_hash').notNull(),
    /** Set by an admin's reset: the user must choose a new password before anything else. */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    /** The language of the user's mails: set by the language switch and on the account page. */
    locale: text('locale', { enum: ['da', 'en'] })
      .notNull()
      .default('da'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_email_uq').on(sql`lower(${t.email})`),
    index('users_municipality_idx').on(t.municipalityCode),
    check('users_locale_ck', sql`${t.locale} in ('da', 'en')`),
  ],
);

/** Signed-in browser sessions. Only a hash of the cookie's token is stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: serial('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique('sessions_token_hash_uq'),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** The absolute limit: the session ends then however active it is. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Bearer tokens for the JSON API. Only a hash is stored; the token is shown once. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique('api_tokens_token_hash_uq'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/**
 * Sign-in attempts that count against the limit, per account and per IP address: each failure, and
 * each attempt whose password is being checked (a success takes its row back). The account is kept
 * as a hash of the e-mail typed, so an e-mail that is no one's is not stored.
 */
export const loginFailures = pgTable(
  'login_failures',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    accountKey: text('account_key').notNull(),
    ip: text('ip').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('login_failures_account_idx').on(t.accountKey, t.at),
    index('login_failures_ip_idx').on(t.ip, t.at),
    // For sweeping out the attempts that no longer count (accounts.service's signIn).
    index('login_failures_at_idx').on(t.at),
  ],
);
