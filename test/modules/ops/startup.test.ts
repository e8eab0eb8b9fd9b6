import { rmSync } from 'node:fs';
import postgres from 'postgres';
import t, { type Test } from 'tap';
import { buildApp } from '../../../src/app.ts';
import { readyLine } from '../../../src/serve.ts';
import { buildTestApp, onPostgres, testConfig } from '../../helper.ts';
import { copyPgliteTemplate, postgresUrls } from '../../template.ts';

/** Settings for a database of the test's own that the app opens and migrates itself, as `npm start` does. */
async function ownDatabase(t: Test): Promise<Record<string, string>> {
  if (onPostgres) {
    const { admin, template, withDb } = postgresUrls(process.env.DATABASE_URL as string);
    const name = `${template.replace(/_tpl$/, '')}_start${process.pid}`;
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database "${name}" template "${template}"`);
    t.teardown(async () => {
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    });
    return { DATABASE_URL: withDb(name) };
  }
  // A copy of the migrated template's data directory, as a data volume holds it.
  const dir = await copyPgliteTemplate('samspil-start-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { DATA_DIR: dir, DATABASE_URL: '' };
}

t.test('start-up says what it does, and static files are not logged at info', async (t) => {
  const lines: string[] = [];
  const app = await buildApp(testConfig({ ...(await ownDatabase(t)), LOG_LEVEL: 'info' }), {
    logStream: { write: (line: string) => void lines.push(line) },
  });
  t.teardown(() => app.close());
  const said = () => lines.map((l) => JSON.parse(l) as { msg: string; req?: { url: string } });
  const steps = said().map((r) => r.msg);
  t.match(steps[0], /^Åbner databasen \((PostgreSQL|PGlite i .+)\)$/, 'it says which database it opens');
  t.match(steps[1], /^Migrerer databasen og opdaterer referencedata/, 'then that it migrates');

  lines.length = 0;
  t.equal((await app.inject({ method: 'GET', url: '/static/css/samspil.css' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const urls = said().flatMap((r) => (r.req ? [r.req.url] : []));
  t.ok(urls.includes('/healthz'), 'a request is logged');
  t.notOk(
    urls.some((u) => u.startsWith('/static/')),
    'a stylesheet is not',
  );
});

t.test('the ready line names the address to begin at: setup first, then sign-in', async (t) => {
  const empty = await buildTestApp(t, { users: false });
  t.equal(
    await readyLine(empty.app, 'http://127.0.0.1:3000'),
    'Samspil er klar på http://127.0.0.1:3000 (start på http://127.0.0.1:3000/setup)',
  );
  const used = await buildTestApp(t);
  t.equal(
    await readyLine(used.app, 'http://127.0.0.1:3000'),
    'Samspil er klar på http://127.0.0.1:3000 (start på http://127.0.0.1:3000/login)',
  );
});
