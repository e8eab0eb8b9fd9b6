import {
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { municipalities } from './reference.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

export const importKindEnum = pgEnum('import_kind', ['grants', 'actors']);
/**
 * uploaded → (mapping) → invalid | ready → queued → done, or failed. A queued import is written in
 * one transaction by the import runner; one cut off by a crash is still queued and runs again.
 */
export const importStatusEnum = pgEnum('import_status', ['uploaded', 'invalid', 'ready', 'queued', 'done', 'failed']);

/** A file brought in from a municipality's own lists, kept until its rows are written. */
export const imports = pgTable(
  'imports',
  {
    id: serial('id').primaryKey(),
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
    kind: importKindEnum('kind').notNull(),
    status: importStatusEnum('status').notNull().default('uploaded'),
    fileName: text('file_name').notNull(),
    /** The file's column headers, as read. */
    header: jsonb('header').$type<string[]>().notNull().default([]),
    /** The first rows as read, shown beside the columns while they are mapped. */
    sample: jsonb('sample').$type<string[][]>().notNull().default([]),
    /** Field → column header, and the defaults for every row (year, target group). */
    mapping: jsonb('mapping').$type<unknown>(),
    /** For each actor with a similar name: the chosen actor's id, or "new". */
    actorChoices: jsonb('actor_choices'),
    rowCount: integer('row_count').notNull().default(0),
    createdCount: integer('created_count').notNull().default(0),
    updatedCount: integer('updated_count').notNull().default(0),
    skippedCount: integer('skipped_count').notNull().default(0),
    /** What the rows would do (ready) or did (done): created actors and rounds, among others. */
    summary: jsonb('summary'),
    /** The problems found, per line: [{line, column, value, message, params}]. */
    problems: jsonb('problems'),
    createdBy: integer('created_by').references(() => users.id),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('imports_municipality_idx').on(t.municipalityCode, t.createdAt),
    index('imports_status_idx').on(t.status),
  ],
);

/**
 * The file of an import as uploaded, in pieces of a megabyte (so no statement carries a whole file),
 * kept until its rows are written. Any process can read it: the import may run in another.
 */
export const importChunks = pgTable(
  'import_chunks',
  {
    importId: integer('import_id')
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.seq] })],
);
