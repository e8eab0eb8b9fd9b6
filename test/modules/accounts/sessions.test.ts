import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp, onPostgres, secondProcess, signedInClient } from '../../helper.ts';

/**
 * A session and an API key are read from the database on every request, so a sign-out or a
 * deactivation committed by one process is refused by every other process at its very next request.
 */

// One app for the file (on PostgreSQL, the first process of the two-process test): each test signs
// in users of its own and reads only their sessions and keys.
const h = await buildTestApp(t);

t.test(
  'two processes on one PostgreSQL: a cookie signed out on A is refused by B at once',
  { skip: !onPostgres && 'PostgreSQL only: PGlite serves one process, so there is no second process to ask' },
  async (t) => {
    const a = h;
    const b = await secondProcess(t, a);
    const onB = async (cookie: string) =>
      (await b.inject({ method: 'GET', url: '/actors', headers: { cookie } })).statusCode;

    // Several rounds: in each, B has just read the session (twice, so anything it keeps is warm),
    // then A signs out, and B is asked the moment A's sign-out has committed.
    const accepted: number[] = [];
    for (let round = 1; round <= 10; round++) {
      const anne = await signedInClient(a.app, 'coordinator', 101);
      t.equal(await onB(anne.cookie), 200, `round ${round}: B takes the session`);
      t.equal(await onB(anne.cookie), 200, `round ${round}: and again`);
      t.equal((await anne.postForm('/logout', {})).statusCode, 303, `round ${round}: signed out on A`);
      if ((await onB(anne.cookie)) !== 303) accepted.push(round);
    }
    t.same(accepted, [], 'B refused the ended session in every round, at its first request after the sign-out');

    // An API key B has just used is refused by B the moment A deactivates its owner.
    const bo = await signedInClient(a.app, 'coordinator', 101);
    const keyOnB = async () =>
      (await b.inject({ method: 'GET', url: '/api/v1/actors', headers: { authorization: `Bearer ${bo.token}` } }))
        .statusCode;
    t.equal(await keyOnB(), 200, 'B takes the key');
    t.equal(await keyOnB(), 200, 'and again');
    t.equal(
      (await a.postForm(`/admin/users/${bo.user.id}/deactivate`, { confirm: 'yes' })).statusCode,
      303,
      'deactivated on A',
    );
    t.equal(await keyOnB(), 401, 'B refuses the key at its first request after the deactivation');
  },
);

t.test(
  'deactivating a user revokes their API keys for good; activating them again does not bring the keys back',
  async (t) => {
    const bo = await h.as('coordinator', 101);
    const api = (token: string) =>
      h.anonymous({ method: 'GET', url: '/api/v1/actors', headers: { authorization: `Bearer ${token}` } });
    t.equal((await api(bo.token)).statusCode, 200, 'Bo’s key works');

    t.equal(
      (await h.postForm(`/admin/users/${bo.user.id}/deactivate`, { confirm: 'yes' })).statusCode,
      303,
      'the admin deactivates Bo',
    );
    t.equal((await api(bo.token)).statusCode, 401, 'deactivated: the key is refused');
    t.equal((await h.postForm(`/admin/users/${bo.user.id}/activate`, {})).statusCode, 303, 'and activates him again');
    t.equal((await api(bo.token)).statusCode, 401, 'activated again: the old key is still refused');

    const keys = await h.database.rows<{ id: number; revoked: boolean }>(
      sql`select id, revoked_at is not null as revoked from api_tokens where user_id = ${bo.user.id}`,
    );
    t.same(
      keys.map((k) => k.revoked),
      [true],
      'the key is marked revoked in the database',
    );
    const trail = await h.database.rows<{ user_id: number; municipality_code: number; after: unknown }>(
      sql`select user_id, municipality_code, after from audit_log
        where entity = 'api_token' and action = 'revoke' and entity_id = ${String(keys[0]?.id)}`,
    );
    t.same(
      trail,
      [{ user_id: h.user.id, municipality_code: 101, after: { userId: bo.user.id, reason: 'deactivated' } }],
      'the revocation is in the audit trail, by the admin who deactivated',
    );

    // Signed in again, Bo sees the key as revoked and makes a new one, which works.
    const login = await h.app.services.accounts.login(bo.user.email, 'en lang og hemmelig adgangskode', '127.0.0.1');
    const cookie = `samspil_session=${login.token}`;
    const page = await h.anonymous({ method: 'GET', url: '/account', headers: { cookie } });
    t.match(page.body, /Tilbagekaldt/, 'his account page shows the key as revoked');
    const { token } = await h.app.services.accounts.createApiToken(
      { userId: bo.user.id, municipalityCode: 101, role: 'coordinator' },
      bo.user.id,
      'ny nøgle',
    );
    t.equal((await api(token)).statusCode, 200, 'a new key works');
  },
);
