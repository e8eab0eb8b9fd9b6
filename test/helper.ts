import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import postgres from 'postgres';
import type { Test } from 'tap';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { type Database, openDatabase } from '../src/db/client.ts';
import { buildPgliteTemplate, loadPgliteTemplate, postgresUrls } from './template.ts';

export const onPostgres = Boolean(process.env.DATABASE_URL);

/**
 * A database for one test file, copied from the run's migrated template: PGlite in memory, or a
 * fresh PostgreSQL database created from the template and dropped at the end.
 */
export async function openTestDatabase(t: Test): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const { admin, template, withDb } = postgresUrls(url);
    const name = `${template.replace(/_tpl$/, '')}_t${randomBytes(5).toString('hex')}`;
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database "${name}" template "${template}"`);
    const database = await openDatabase({ kind: 'postgres', url: withDb(name) });
    t.teardown(async () => {
      await database.close();
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    });
    return database;
  }
  let template = loadPgliteTemplate();
  if (!template) {
    await buildPgliteTemplate();
    template = loadPgliteTemplate();
  }
  const database = await openDatabase({ kind: 'pglite', dataDir: '' }, { inMemory: true, loadDataDir: template });
  t.teardown(() => database.close());
  return database;
}

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** POSTs an HTML form (application/x-www-form-urlencoded). */
  postForm(url: string, form: string | Record<string, string | string[]>): Promise<LightMyRequestResponse>;
}

export async function buildTestApp(t: Test): Promise<TestApp> {
  const database = await openTestDatabase(t);
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database, logger: false });
  t.teardown(() => app.close());
  return {
    app,
    database,
    inject: (opts) => app.inject(opts),
    postForm: (url, form) => {
      const payload =
        typeof form === 'string'
          ? form
          : new URLSearchParams(
              Object.entries(form).flatMap(([k, v]): [string, string][] =>
                Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]],
              ),
            ).toString();
      return app.inject({
        method: 'POST',
        url,
        payload,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    },
  };
}
