import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  index,
  integer,
  pgTable,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** The 98 municipalities (kommuner), seeded from the official code list. */
export const municipalities = pgTable(
  'municipalities',
  {
    code: smallint('code').primaryKey(),
    name: text('name').notNull(),
    regionCode: smallint('region_code').notNull(),
    regionName: text('region_name').notNull(),
  },
  (t) => [index('municipalities_region_idx').on(t.regionCode)],
);

/**
 * Target groups (målgrupper): the FFB concepts (municipality_code null, ffb_code set) and the
 * local sub-groups a municipality adds under any group.
 */
export const targetGroups = pgTable(
  'target_groups',
  {
    id: serial('id').primaryKey(),
    ffbCode: uuid('ffb_code').unique(),
    nameDa: text('name_da').notNull(),
    nameEn: text('name_en'),
    parentId: integer('parent_id').references((): AnyPgColumn => targetGroups.id),
    municipalityCode: smallint('municipality_code').references(() => municipalities.code),
    level: smallint('level').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('target_groups_parent_idx').on(t.parentId),
    uniqueIndex('target_groups_local_name_uq').on(
      sql`coalesce(${t.municipalityCode}, 0)`,
      t.parentId,
      sql`lower(${t.nameDa})`,
    ),
  ],
);
