import { sql } from 'drizzle-orm';
import t from 'tap';
import { system } from '../../../src/lib/principal.ts';
import { recordAudit } from '../../../src/modules/audit/audit.repository.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp, onPostgres, secondProcess, signedInClient, writesHeard } from '../../helper.ts';

/**
 * What a process remembers (target groups, reports, rendered pages) it keeps only until a write is
 * committed. Every write is audited, and the audit record notifies every process that listens
 * (migration 0011), so a second process sees a new group at once. Sessions and API keys are not
 * kept at all: they are read from the database at every request (test/modules/accounts/sessions.test.ts).
 */

/** Asks until `what` holds: only for what must come, so the generous bound costs a passing test nothing. */
async function until(what: () => Promise<boolean>, ms = 120_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return what();
}

t.test('an audit record, even outside a transaction, makes the process read what it keeps again', async (t) => {
  const h = await buildTestApp(t);
  const groups = async () =>
    (
      (await h.inject({ method: 'GET', url: '/api/v1/target-groups?municipalityCode=101' })).json().items as {
        nameDa: string;
      }[]
    ).map((g) => g.nameDa);
  // A user for the refusal below, made now: a new user is a write of everything.
  const viewer = await h.as('viewer', 101);
  // The sign-ins' own notifications may still be on their way: read the list once they have come.
  await writesHeard(h.database);
  const before = h.database.generation();
  t.notOk((await groups()).includes('Gruppe skrevet uden om appen'));

  // An edit straight in the database announces nothing: the list read a moment ago is still used.
  await h.database.rows(
    sql`insert into target_groups (name_da, parent_id, municipality_code, level)
        select 'Gruppe skrevet uden om appen', id, 101, level + 1 from target_groups
        where municipality_code is null and level = 2 order by id limit 1`,
  );
  await writesHeard(h.database);
  t.notOk(
    (await groups()).includes('Gruppe skrevet uden om appen'),
    'a change no audit record announces is not seen yet',
  );
  t.equal(h.database.generation(), before, 'and the generation is the same');

  // A refusal and a failed sign-in are audited, but change no data: anyone could cause them at will.
  t.equal((await viewer.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).statusCode, 403);
  const pre = await h.anonymous({ method: 'GET', url: '/login' });
  const preCookie = String(pre.headers['set-cookie']).split(';')[0] ?? '';
  const preCsrf = /name="_csrf" value="([^"]+)"/.exec(pre.body)?.[1] ?? '';
  const failed = await h.anonymous({
    method: 'POST',
    url: '/login',
    headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      email: viewer.user.email,
      password: 'ikke den rigtige adgangskode',
      _csrf: preCsrf,
    }).toString(),
  });
  t.equal(failed.statusCode, 401);
  // Had either notified a write, its notification would be heard by now.
  await writesHeard(h.database);
  t.equal(h.database.generation(), before, 'a refusal and a failed sign-in leave what is kept alone');
  t.notOk((await groups()).includes('Gruppe skrevet uden om appen'), 'the list read before them is still used');
  const [trail] = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_log where (entity = 'access' and action = 'denied') or action = 'login_failed'`,
  );
  t.ok(Number(trail?.n) >= 2, 'both are in the audit trail all the same');

  // An audit record is a committed write: its notification moves the generation.
  await recordAudit(h.database.db, system, { entity: 'test', entityId: 1, action: 'noted' });
  t.ok(await until(async () => h.database.generation() > before), 'the notification moves the generation');
  t.ok((await groups()).includes('Gruppe skrevet uden om appen'), 'and the list is read again');
});

t.test(
  'two processes on one PostgreSQL: a sign-out and a new group on one are seen by the other at once',
  { skip: !onPostgres && 'PostgreSQL only: PGlite serves one process' },
  async (t) => {
    const a = await buildTestApp(t);
    const b = await secondProcess(t, a);

    // Signed in on A; B reads the same session.
    const anne = await signedInClient(a.app, 'coordinator', 101);
    const onB = async () =>
      (await b.inject({ method: 'GET', url: '/actors', headers: { cookie: anne.cookie } })).statusCode;
    t.equal(await onB(), 200, 'B takes the session');
    t.equal(await onB(), 200, 'and again');
    const started = Date.now();
    t.equal((await anne.postForm('/logout', {})).statusCode, 303, 'signed out on A');
    t.ok(
      await until(async () => (await onB()) === 303),
      `B refuses the session ${Date.now() - started} ms after the sign-out on A`,
    );

    // B lists the groups (and remembers them); a group added on A is in B's next list.
    const groups = async () =>
      (
        await b.inject({
          method: 'GET',
          url: '/api/v1/target-groups?municipalityCode=101',
          headers: { authorization: `Bearer ${a.token}` },
        })
      ).json().items as { nameDa: string }[];
    const [parent] = await a.database.rows<{ id: number }>(
      sql`select id from target_groups where municipality_code is null and level = 2 order by id limit 1`,
    );
    t.notOk((await groups()).some((g) => g.nameDa === 'Natcaféens gæster'));
    const added = await a.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa: 'Natcaféens gæster', parentId: parent?.id },
    });
    t.equal(added.statusCode, 201);
    t.ok(
      await until(async () => (await groups()).some((g) => g.nameDa === 'Natcaféens gæster')),
      'B lists the new group',
    );

    // B keeps an actor's rendered page; a change on A is on B's next page.
    const actor = (
      await a.inject({
        method: 'POST',
        url: '/api/v1/actors',
        payload: actorInput({ name: 'Foreningen Lanternen', contacts: [] }),
      })
    ).json() as { id: number; version: number };
    const actorPage = async () =>
      (await b.inject({ method: 'GET', url: `/actors/${actor.id}`, headers: { cookie: a.cookie } })).body;
    t.match(await actorPage(), /Foreningen Lanternen/, 'B renders the page');
    t.match(await actorPage(), /Foreningen Lanternen/, 'and keeps it');
    const renamed = await a.inject({
      method: 'PATCH',
      url: `/api/v1/actors/${actor.id}`,
      payload: { version: actor.version, name: 'Foreningen Lygten' },
    });
    t.equal(renamed.statusCode, 200, renamed.body);
    t.ok(
      await until(async () => /Foreningen Lygten/.test(await actorPage())),
      'B renders the page again with the new name',
    );
  },
);

t.test(
  'on PostgreSQL a write counts at its commit and again when its notification comes back, which a test can wait for',
  { skip: !onPostgres && 'PostgreSQL only: PGlite delivers a notification as the commit returns' },
  async (t) => {
    const h = await buildTestApp(t);
    await writesHeard(h.database);
    const before = h.database.generation();
    // One transaction with one audit record (no contacts, which are audited apart): one notification.
    const created = await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ contacts: [] }),
    });
    t.equal(created.statusCode, 201, created.body);
    await writesHeard(h.database);
    const heard = h.database.generation();
    t.equal(heard, before + 2, 'counted twice: as its transaction ends, and as its notification is heard');
    await writesHeard(h.database);
    t.equal(h.database.generation(), heard, 'nothing more was on its way');
  },
);
