import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildTestApp, formBody } from '../../helper.ts';
import { until } from './smtp.ts';

/**
 * Issue 20: the forgotten-password answer does not reveal whether the address has an account,
 * neither in its bytes nor in its timing. The timing is shown without a clock: the lookup of the
 * address (the account service's requestPasswordReset) is held at a gate the test opens only once
 * both answers are complete. Had the route waited for the lookup, no answer would come while the
 * gate is shut (the test would fail on its timeout, however fast the machine); since it does not,
 * both answers are whole while no lookup has finished, nothing is stored and no mail is queued.
 */

/** A browser of its own: a CSRF cookie and token from the form's page, then a post of the form. */
async function browser(app: FastifyInstance) {
  const page = await app.inject({ method: 'GET', url: '/password/forgotten' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookie = String(page.headers['set-cookie']).split(';')[0] ?? '';
  return {
    csrf,
    ask: (email: string) =>
      app.inject({
        method: 'POST',
        url: '/password/forgotten',
        payload: formBody({ _csrf: csrf, email }),
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      }),
  };
}

t.test('the answer to a forgotten password is sent before the address is looked up', async (t) => {
  const h = await buildTestApp(t, { env: { PUBLIC_URL: 'https://samspil.test' } });
  const user = await h.as('viewer', 101);
  const accounts = h.app.services.accounts;
  const lookup = accounts.requestPasswordReset;
  const started: string[] = [];
  const finished: string[] = [];
  const lookups: Promise<boolean>[] = [];
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  // The hook: the route calls the service through this object, so the held lookup is the real one.
  accounts.requestPasswordReset = (email: string) => {
    started.push(email);
    const held = gate.then(async () => {
      const queued = await lookup(email);
      finished.push(email);
      return queued;
    });
    lookups.push(held);
    return held;
  };
  t.teardown(() => {
    accounts.requestPasswordReset = lookup;
  });
  const stored = async () =>
    (
      await h.database.rows<{ n: number }>(
        sql`select (select count(*) from password_resets)::int + (select count(*) from mail_outbox)::int as n`,
      )
    )[0]?.n;

  const first = await browser(h.app);
  const second = await browser(h.app);
  t.not(first.csrf, second.csrf, 'two browsers, two CSRF tokens');
  const known = await first.ask(user.user.email);
  const unknown = await second.ask('ingen.konto@nowhere.dk');

  t.same(finished, [], 'both answers are complete while no lookup has finished');
  t.equal(await stored(), 0, 'no link stored and no mail queued yet');
  t.equal(known.statusCode, 200);
  t.equal(unknown.statusCode, 200);
  const bytes = (body: string, csrf: string) => body.split(csrf).join('<csrf>');
  t.equal(
    bytes(known.body, first.csrf),
    bytes(unknown.body, second.csrf),
    'the answers are the same bytes but for the CSRF token',
  );
  const headers = (res: typeof known) => {
    const { date: _date, 'set-cookie': _cookies, 'x-request-id': _id, ...rest } = res.headers;
    return rest;
  };
  t.same(headers(known), headers(unknown), 'and the same headers but for the date, the request id and the cookies');
  t.same(
    String(known.headers['set-cookie']).replace(/=[^;]*/g, '='),
    String(unknown.headers['set-cookie']).replace(/=[^;]*/g, '='),
    'the same cookies are set (their values aside)',
  );

  // Each lookup starts on its answer's 'close'; once let through, the known address gets its link.
  await until(() => started.length === 2);
  open();
  await Promise.all(lookups);
  t.same(started.sort(), [user.user.email, 'ingen.konto@nowhere.dk'].sort(), 'a lookup for each address');
  t.same(finished.sort(), started.sort(), 'both finished once the gate opened');
  const links = await h.database.rows<{ user_id: number }>(sql`select user_id from password_resets`);
  t.same(
    links.map((l) => l.user_id),
    [user.user.id],
    'a link for the account, nothing for the unknown address',
  );
});
