import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  char,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { municipalities, targetGroups } from './reference.ts';
import { tsvector } from './types.ts';

export const orgTypeEnum = pgEnum('org_type', [
  'association',
  'self_governing_institution',
  'foundation',
  'social_enterprise',
  'informal_group',
]);
export const actorRoleEnum = pgEnum('actor_role', ['advocate', 'inclusion_arena', 'service_provider']);
export const actorStatusEnum = pgEnum('actor_status', ['active', 'inactive', 'archived']);

/** Civil-society actors (civilsamfundsaktører). */
export const actors = pgTable(
  'actors',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    cvr: char('cvr', { length: 8 }).unique('actors_cvr_uq'),
    orgType: orgTypeEnum('org_type').notNull(),
    roles: actorRoleEnum('roles').array().notNull(),
    underServiceAct: boolean('under_service_act'),
    description: text('description'),
    website: text('website'),
    email: text('email'),
    phone: text('phone'),
    address: text('address'),
    homeMunicipalityCode: smallint('home_municipality_code')
      .notNull()
      .references(() => municipalities.code),
    status: actorStatusEnum('status').notNull().default('active'),
    /** Set when the actor was merged into another: its old id leads there. */
    mergedIntoId: integer('merged_into_id').references((): AnyPgColumn => actors.id),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Name folded for matching: lower case, æ→ae, ø→oe, å→aa (see the samspil_norm SQL function). */
    nameNorm: text('name_norm').notNull().generatedAlwaysAs(sql`samspil_norm(name)`),
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector('danish', name), 'A') || setweight(to_tsvector('simple', samspil_norm(name)), 'A') || setweight(to_tsvector('danish', coalesce(description, '')), 'C')`,
      ),
  },
  (t) => [
    index('actors_name_norm_trgm_idx').using('gin', t.nameNorm.op('gin_trgm_ops')),
    index('actors_search_idx').using('gin', t.searchVector),
    index('actors_roles_idx').using('gin', t.roles),
    index('actors_home_municipality_idx').on(t.homeMunicipalityCode),
    index('actors_status_name_idx').on(t.status, t.nameNorm),
  ],
);

export const actorMunicipalities = pgTable(
  'actor_municipalities',
  {
    actorId: integer('actor_id')
      .notNull()
      .references(() => actors.id, { onDelete: 'cascade' }),
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
  },
  (t) => [
    primaryKey({ columns: [t.actorId, t.municipalityCode] }),
    index('actor_municipalities_municipality_idx').on(t.municipalityCode),
  ],
);

export const actorTargetGroups = pgTable(
  'actor_target_groups',
  {
    actorId: integer('actor_id')
      .notNull()
      .references(() => actors.id, { onDelete: 'cascade' }),
    targetGroupId: integer('target_group_id')
      .notNull()
      .references(() => targetGroups.id),
  },
  (t) => [
    primaryKey({ columns: [t.actorId, t.targetGroupId] }),
    index('actor_target_groups_group_idx').on(t.targetGroupId),
  ],
);

/** Contact persons (kontaktpersoner): personal data, kept as child rows of an actor. */
export const actorContacts = pgTable(
  'actor_contacts',
  {
    id: serial('id').primaryKey(),
    actorId: integer('actor_id')
      .notNull()
      .references(() => actors.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role'),
    email: text('email'),
    phone: text('phone'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('actor_contacts_actor_idx').on(t.actorId)],
);
