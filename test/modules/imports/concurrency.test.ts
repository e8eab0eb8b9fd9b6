import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../../src/app.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { buildTestApp, onPostgres, signedInClient, testConfig } from '../../helper.ts';
import { uploadApi } from './upload.ts';

/**
 * Issue 16, point 12: the same file without case numbers committed at the same moment in two
 * processes gave every grant and every new actor twice. Imports of one municipality are written one
 * at a time (an advisory lock), and each matches again, inside the lock, against what the last wrote.
 */
t.test(
  'two processes committing the same file at once write it once',
  { skip: !onPostgres && 'PostgreSQL only: PGlite serves one process, one transaction at a time' },
  async (t) => {
    const a = await buildTestApp(t);
    const database = await openDatabase({ kind: 'postgres', url: a.database.url as string });
    const b = await buildApp(testConfig(), { database, logger: false });
    t.teardown(async () => {
      await b.close();
      await database.close();
    });
    const inA = await a.as('finance', 101);
    const inB = await signedInClient(b, 'finance', 101);
    const file = Buffer.from(
      [
        'Forening;Projekt;År;Bevilget;Målgruppe',
        'Samtidighedens Venner;Morgenmad;2025;25.000;Stofmisbrug',
        'Samtidighedens Venner;Aftenåbent;2025;10.000;Stofmisbrug',
        'Dobbeltklubben;Fodbold;2025;5.000;Stofmisbrug',
      ].join('\n'),
    );
    const first = (await uploadApi(inA, 'grants', file, { commit: 'false' })).json();
    const second = (await uploadApi(inB, 'grants', file, { commit: 'false' })).json();
    t.equal(first.status, 'ready', JSON.stringify(first.problems));
    t.equal(second.status, 'ready', JSON.stringify(second.problems));

    // Each run waits, after matching and before writing, until the other has matched too (or a
    // while has passed): without the lock both would match against a database without the file.
    let bMatched = () => {};
    const bReached = new Promise<void>((r) => {
      bMatched = r;
    });
    let aMatched = () => {};
    const aReached = new Promise<void>((r) => {
      aMatched = r;
    });
    const pause = () => new Promise<void>((r) => setTimeout(r, 1500));
    a.app.services.imports.hooks.afterPlan = async () => {
      aMatched();
      await Promise.race([bReached, pause()]);
    };
    b.services.imports.hooks.afterPlan = async () => {
      bMatched();
      await Promise.race([aReached, pause()]);
    };
    const [ca, cb] = await Promise.all([
      inA.inject({ method: 'POST', url: `/api/v1/imports/${first.id}/commit`, payload: { version: first.version } }),
      inB.inject({ method: 'POST', url: `/api/v1/imports/${second.id}/commit`, payload: { version: second.version } }),
    ]);
    t.equal(ca.statusCode, 200, ca.body.slice(0, 300));
    t.equal(cb.statusCode, 200, cb.body.slice(0, 300));
    await Promise.all([a.app.importRunner.idle(), b.importRunner.idle()]);

    const [counts] = await a.database.rows<{ grants: number; actors: number; rounds: number }>(
      sql`select (select count(*)::int from grants g join grant_rounds r on r.id = g.round_id
                  where r.municipality_code = 101) as grants,
                 (select count(*)::int from actors
                  where name in ('Samtidighedens Venner', 'Dobbeltklubben')) as actors,
                 (select count(*)::int from grant_rounds where municipality_code = 101 and year = 2025) as rounds`,
    );
    t.same(counts, { grants: 3, actors: 2, rounds: 1 }, 'every grant, actor and round once');
    const done = await a.database.rows<{ status: string; created_count: number; skipped_count: number }>(
      sql`select status, created_count, skipped_count from imports order by id`,
    );
    t.same(
      done.map((d) => [d.status, d.created_count, d.skipped_count]).sort(),
      [
        ['done', 0, 3],
        ['done', 3, 0],
      ],
      'one import wrote the file; the other, matching after it, skipped every row',
    );
  },
);
