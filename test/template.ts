import {
  accessSync,
  appendFileSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';

/**
 * One migrated template per test run: a PGlite data directory, or a PostgreSQL template database
 * next to the one DATABASE_URL names. Each test file, spawned server and CLI run starts from a copy
 * of it instead of migrating. Copying the directory and opening PGlite on it costs about half the
 * CPU of loading a data-directory dump into memory (1.1–1.6 s against 2.3–2.7 s for each copy,
 * measured), and it is what a spawned process needs anyway.
 */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The flags a spawned Node process of the tests loads its TypeScript with (test/loader.mjs). */
export const TS_LOADER = ['--import', pathToFileURL(join(root, 'test', 'loader.mjs')).href];
const pgliteTemplateDir = join(root, '.tap', 'pglite-template');

export function postgresUrls(url: string) {
  const u = new URL(url);
  const base = u.pathname.replace(/^\//, '') || 'postgres';
  const withDb = (name: string) => {
    const v = new URL(url);
    v.pathname = `/${name}`;
    return v.toString();
  };
  return { base, admin: withDb('postgres'), template: `${base}_tpl`, templateUrl: withDb(`${base}_tpl`), withDb };
}

/** What the test template's postgresql.conf adds to PGlite's defaults. */
const TEST_POSTGRESQL_CONF = 'shared_buffers = 16MB';

export async function buildPgliteTemplate(): Promise<void> {
  // Built aside and renamed, so a concurrent run never copies half a template.
  const partial = `${pgliteTemplateDir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const database = await openDatabase({ kind: 'pglite', dataDir: partial });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  // PGlite's own default of 128 MB of shared buffers is zeroed at every start: 0.6 s of CPU for each
  // copy opened (a third of the suite's PGlite time, in a profile). A test database is a few MB.
  appendFileSync(join(partial, 'postgresql.conf'), `\n# Samspil's tests (test/template.ts)\n${TEST_POSTGRESQL_CONF}\n`);
  const old = `${pgliteTemplateDir}.${process.pid}.old`;
  if (existsSync(pgliteTemplateDir)) renameSync(pgliteTemplateDir, old);
  renameSync(partial, pgliteTemplateDir);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Where the copies go: memory (`/dev/shm`) where the machine has it. A copy is 40 MB in about 1,200
 * files, and the disk here is ext4 mounted with `discard`, where removing them cost more CPU than
 * the test using them (5 s of `unlink` in the access-matrix file's profile of 36 s).
 */
const scratch = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
})();

/**
 * A new PGlite data directory holding a copy of the migrated template (built first if this run has
 * none), for a test's database or a spawned server or CLI. The caller removes it.
 */
export async function copyPgliteTemplate(prefix = 'samspil-test-'): Promise<string> {
  if (!existsSync(pgliteTemplateDir)) await buildPgliteTemplate();
  const dir = mkdtempSync(join(scratch, prefix));
  cpSync(pgliteTemplateDir, dir, { recursive: true });
  return dir;
}

export async function buildPostgresTemplate(url: string): Promise<void> {
  const { admin, template, templateUrl } = postgresUrls(url);
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${template}" with (force)`);
    await sql.unsafe(`create database "${template}"`);
  } finally {
    await sql.end();
  }
  const database = await openDatabase({ kind: 'postgres', url: templateUrl });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
}

/** The name of a test file's own database: the run's base name, `_t` and ten hex digits. */
export const testDatabaseName = (base: string, id: string) => `${base}_t${id}`;

/**
 * Drops the template and every test database of this run (named by `testDatabaseName`), eight at a
 * time: DROP DATABASE waits for a checkpoint, and drops that run together share it.
 */
export async function dropPostgresTemplate(url: string): Promise<void> {
  const { admin, base, template } = postgresUrls(url);
  const sql = postgres(admin, { max: 8, onnotice: () => {} });
  try {
    const pattern = `^${base.replace(/[^A-Za-z0-9_]/g, '\\$&')}_t[0-9a-f]{10}$`;
    const names = (await sql<{ datname: string }[]>`select datname from pg_database where datname ~ ${pattern}`).map(
      (r) => r.datname,
    );
    await Promise.all(names.map((name) => sql.unsafe(`drop database if exists "${name}" with (force)`)));
    await sql.unsafe(`drop database if exists "${template}" with (force)`);
  } finally {
    await sql.end();
  }
}
