import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';

/**
 * One migrated template per test run: a PGlite data-directory dump, or a PostgreSQL template
 * database next to the one DATABASE_URL names. Each test file starts from a copy of it.
 */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pgliteTemplatePath = join(root, '.tap', 'pglite-template.tar');

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

export async function buildPgliteTemplate(): Promise<void> {
  const database = await openDatabase({ kind: 'pglite', dataDir: '' }, { inMemory: true });
  try {
    await migrateDatabase(database);
    const dump = await database.pglite?.dumpDataDir('none');
    if (!dump) throw new Error('PGlite did not dump its data directory');
    mkdirSync(dirname(pgliteTemplatePath), { recursive: true });
    // Written aside and renamed, so a concurrent run never reads half a template.
    const partial = `${pgliteTemplatePath}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, pgliteTemplatePath);
  } finally {
    await database.close();
  }
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

export async function dropPostgresTemplate(url: string): Promise<void> {
  const { admin, template } = postgresUrls(url);
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${template}" with (force)`);
  } finally {
    await sql.end();
  }
}

export function loadPgliteTemplate(): Blob | undefined {
  if (!existsSync(pgliteTemplatePath)) return undefined;
  return new Blob([readFileSync(pgliteTemplatePath)]);
}
