import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  check,
  date,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  time,
  timestamp,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { actors } from './actors.ts';
import { grants } from './grants.ts';
import { municipalities, targetGroups } from './reference.ts';

export const agreementKindEnum = pgEnum('agreement_kind', ['formal', 'informal']);
export const agreementStatusEnum = pgEnum('agreement_status', ['draft', 'active', 'ended']);
export const outreachKindEnum = pgEnum('outreach_kind', ['casework', 'counselling', 'health_check', 'other']);

/** A cooperation agreement (samarbejdsaftale) between a municipality and one or more actors. */
export const agreements = pgTable(
  'agreements',
  {
    id: serial('id').primaryKey(),
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
    title: text('title').notNull(),
    kind: agreementKindEnum('kind').notNull(),
    purpose: text('purpose'),
    /** Frame and conditions (rammer og vilkår). */
    frame: text('frame'),
    startsOn: date('starts_on').notNull(),
    endsOn: date('ends_on'),
    reviewOn: date('review_on'),
    /** How often the parties meet, in months; unset means no fixed pace. */
    meetingIntervalMonths: smallint('meeting_interval_months'),
    coordinatorUserId: integer('coordinator_user_id').references(() => users.id),
    status: agreementStatusEnum('status').notNull().default('draft'),
    /** The agreement this one renews. */
    renewedFromId: integer('renewed_from_id').references((): AnyPgColumn => agreements.id),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('agreements_municipality_idx').on(t.municipalityCode, t.status),
    index('agreements_renewed_from_idx').on(t.renewedFromId),
    check('agreements_period_ck', sql`${t.endsOn} is null or ${t.endsOn} >= ${t.startsOn}`),
    check(
      'agreements_interval_ck',
      sql`${t.meetingIntervalMonths} is null or ${t.meetingIntervalMonths} between 1 and 36`,
    ),
  ],
);

export const agreementActors = pgTable(
  'agreement_actors',
  {
    agreementId: integer('agreement_id')
      .notNull()
      .references(() => agreements.id, { onDelete: 'cascade' }),
    actorId: integer('actor_id')
      .notNull()
      .references(() => actors.id),
  },
  (t) => [primaryKey({ columns: [t.agreementId, t.actorId] }), index('agreement_actors_actor_idx').on(t.actorId)],
);

export const agreementTargetGroups = pgTable(
  'agreement_target_groups',
  {
    agreementId: integer('agreement_id')
      .notNull()
      .references(() => agreements.id, { onDelete: 'cascade' }),
    targetGroupId: integer('target_group_id')
      .notNull()
      .references(() => targetGroups.id),
  },
  (t) => [
    primaryKey({ columns: [t.agreementId, t.targetGroupId] }),
    index('agreement_target_groups_group_idx').on(t.targetGroupId),
  ],
);

/** Who does what: the division of responsibilities, in the order written. */
export const agreementResponsibilities = pgTable(
  'agreement_responsibilities',
  {
    id: serial('id').primaryKey(),
    agreementId: integer('agreement_id')
      .notNull()
      .references(() => agreements.id, { onDelete: 'cascade' }),
    position: smallint('position').notNull(),
    party: text('party').notNull(),
    responsibility: text('responsibility').notNull(),
  },
  (t) => [index('agreement_responsibilities_agreement_idx').on(t.agreementId, t.position)],
);

export const agreementGrants = pgTable(
  'agreement_grants',
  {
    agreementId: integer('agreement_id')
      .notNull()
      .references(() => agreements.id, { onDelete: 'cascade' }),
    grantId: integer('grant_id')
      .notNull()
      .references(() => grants.id),
  },
  (t) => [primaryKey({ columns: [t.agreementId, t.grantId] }), index('agreement_grants_grant_idx').on(t.grantId)],
);

/** A status meeting: planned, then held with notes and decisions. */
export const meetings = pgTable(
  'meetings',
  {
    id: serial('id').primaryKey(),
    agreementId: integer('agreement_id')
      .notNull()
      .references(() => agreements.id),
    plannedOn: date('planned_on').notNull(),
    heldOn: date('held_on'),
    participants: text('participants'),
    notes: text('notes'),
    decisions: text('decisions'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('meetings_agreement_idx').on(t.agreementId, t.plannedOn),
    // An agreement's meetings newest first, as its page lists them a page at a time (migration 0018).
    index('meetings_agreement_newest_idx').on(
      t.agreementId,
      sql`(coalesce(${t.heldOn}, ${t.plannedOn})) desc`,
      t.id.desc().nullsFirst(),
    ),
    // The meetings planned and not yet held, the first of which a meeting logged fills in.
    index('meetings_planned_idx')
      .on(t.agreementId, t.plannedOn, t.id.desc().nullsFirst())
      .where(sql`${t.heldOn} is null`),
    // The last meeting held per agreement, from which the next one is due (the follow-up lists, the
    // home page): one index entry read, not every meeting the agreement has had (migration 0035).
    index('meetings_agreement_held_idx').on(t.agreementId, t.heldOn.desc()).where(sql`${t.heldOn} is not null`),
  ],
);

/** An action agreed at a meeting, followed up until done. */
export const actionItems = pgTable(
  'action_items',
  {
    id: serial('id').primaryKey(),
    meetingId: integer('meeting_id')
      .notNull()
      .references(() => meetings.id),
    agreementId: integer('agreement_id')
      .notNull()
      .references(() => agreements.id),
    text: text('text').notNull(),
    /** A user of Samspil, or a named person of another party. */
    ownerUserId: integer('owner_user_id').references(() => users.id),
    ownerName: text('owner_name'),
    dueOn: date('due_on'),
    doneAt: timestamp('done_at', { withTimezone: true }),
    doneByUserId: integer('done_by_user_id').references(() => users.id),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('action_items_meeting_idx').on(t.meetingId),
    index('action_items_open_idx').on(t.agreementId, t.dueOn).where(sql`${t.doneAt} is null`),
    index('action_items_owner_idx').on(t.ownerUserId).where(sql`${t.doneAt} is null`),
  ],
);

/**
 * Outreach presence (fremskudt indsats): a municipal unit or staff holding casework, counselling or
 * health checks at an actor's venue, on weekdays or single dates, within a period.
 */
export const outreach = pgTable(
  'outreach',
  {
    id: serial('id').primaryKey(),
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
    actorId: integer('actor_id')
      .notNull()
      .references(() => actors.id),
    kind: outreachKindEnum('kind').notNull(),
    unit: text('unit').notNull(),
    /** ISO weekdays, 1 = Monday … 7 = Sunday; empty when only single dates. */
    weekdays: smallint('weekdays').array().notNull().default(sql`'{}'::smallint[]`),
    dates: date('dates').array().notNull().default(sql`'{}'::date[]`),
    startsAt: time('starts_at').notNull(),
    endsAt: time('ends_at').notNull(),
    periodStart: date('period_start').notNull(),
    periodEnd: date('period_end'),
    note: text('note'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('outreach_municipality_idx').on(t.municipalityCode, t.periodStart),
    index('outreach_actor_idx').on(t.actorId),
    check('outreach_times_ck', sql`${t.endsAt} > ${t.startsAt}`),
    check('outreach_period_ck', sql`${t.periodEnd} is null or ${t.periodEnd} >= ${t.periodStart}`),
  ],
);

/** The secret behind a user's calendar feed URL; only its hash is kept. Revoking deletes it. */
export const calendarFeeds = pgTable('calendar_feeds', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique('calendar_feeds_token_hash_uq'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
