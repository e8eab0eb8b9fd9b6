import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { buildTestApp } from '../helper.ts';
import { oneAwardedGrant } from './award-fixture.ts';

/**
 * Issue 19, point 3: after a failed submit the URL stays the form's. A refused form is shown at the
 * address it posted to, so that address must be a page as well: a GET of it leads to the page that
 * holds the form, never to 404. Buttons that only act (archive, revoke, step a status) show no form
 * of their own and are listed here with that reason.
 */
const ACTIONS_WITHOUT_A_FORM = new Set([
  '/account/calendar/revoke',
  '/account/tokens/:tokenId/revoke',
  '/action-items/:id',
  '/actors/:id/archive',
  '/actors/:id/contacts/:contactId/erase',
  '/admin/users/:userId/activate',
  '/admin/users/:userId/deactivate',
  '/admin/users/:userId/end-sessions',
  '/agreements/:id/renew',
  '/agreements/:id/reopen',
  '/agreements/:id/status',
  '/grant-rounds/:id/advance',
  '/imports/:id/commit',
  '/imports/:id/retry',
  '/logout',
  '/mail/unsubscribe',
  '/need-estimates/cell',
  '/need-estimates/copy',
]);

function routes(method: 'get' | 'post'): Set<string> {
  const dir = fileURLToPath(new URL('../../src/modules/', import.meta.url));
  const found = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true }) as string[]) {
    if (!file.endsWith('.routes.ts')) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(new RegExp(`\\bapp\\.${method}\\(\\s*'([^']+)'`, 'g'))) found.add(m[1] as string);
    if (method === 'get')
      for (const m of text.matchAll(/formAddress\(\s*app,\s*[`']([^`']+)[`']/g)) found.add(m[1] as string);
  }
  return found;
}

// One app for the tests that need one: the redirects read nothing, and the payment has its own grant.
const h = await buildTestApp(t);

t.test('every address a page form posts to is also a page', async (t) => {
  const gets = routes('get');
  const missing = [...routes('post')].filter(
    (p) => !p.startsWith('/api/') && !gets.has(p) && !ACTIONS_WITHOUT_A_FORM.has(p),
  );
  t.same(missing, [], 'no form posts to an address that answers 404 to a GET');
});

t.test('a GET of a form address leads to the page that holds the form', async (t) => {
  const expected: [string, string][] = [
    ['/grants/7/award', '/grants/7'],
    ['/grants/7/payments', '/grants/7'],
    ['/grants/7/report', '/grants/7'],
    ['/grants/7/transition', '/grants/7'],
    ['/grants/7/payments/3', '/grants/7/payments/3/edit'],
    ['/account/tokens', '/account#h-tokens'],
    ['/account/digest', '/account#digest'],
    ['/admin/mail/digest-time', '/admin/mail'],
    ['/admin/users/4', '/admin/users/4/edit'],
    ['/admin/users/4/password', '/admin/users/4/edit'],
    ['/admin/users/4/welcome', '/admin/users/4/edit'],
    ['/account/language', '/account#h-language'],
    ['/agreements/5/meetings', '/agreements/5#meetings'],
    ['/imports/2/columns', '/imports/2'],
    ['/outreach/6', '/outreach/6/edit'],
    ['/need-estimates/import', '/need-estimates'],
    ['/applications/8/actor', '/applications/8#actor'],
    ['/applications/8/new-actor', '/applications/8#actor'],
    ['/applications/8/start-review', '/applications/8#actions'],
  ];
  for (const [from, to] of expected) {
    const res = await h.inject({ method: 'GET', url: from });
    t.equal(res.statusCode, 303, `GET ${from}`);
    t.equal(res.headers.location, to, `${from} leads to ${to}`);
  }
  t.equal((await h.inject({ method: 'GET', url: '/grants/x/award' })).statusCode, 404, 'a malformed id is 404');
  // An application's documents are added on the application's page, behind its secret link.
  const token = 'abcdefghijklmnopqrstuvwxyz012345';
  const documents = await h.anonymous({ method: 'GET', url: `/public/applications/${token}/documents` });
  t.equal(documents.statusCode, 303);
  t.equal(documents.headers.location, `/public/applications/${token}#documents`);
});

t.test('a refused payment: shown at its own address, which leads back to the grant and its form', async (t) => {
  const finance = await h.as('finance', 101);
  const { grantId } = await oneAwardedGrant(h, finance, 100, 100_000);
  const refused = await finance.postForm(`/grants/${grantId}/payments`, {
    kind: 'payment',
    paidOn: 'i går',
    amount: 'x',
  });
  t.equal(refused.statusCode, 422, 'the payment form is refused');
  const again = await finance.inject({ method: 'GET', url: `/grants/${grantId}/payments` });
  t.equal(again.statusCode, 303);
  const page = await finance.inject({ method: 'GET', url: String(again.headers.location) });
  t.equal(page.statusCode, 200);
  t.match(page.body, new RegExp(`action="/grants/${grantId}/payments"`), 'the page holds the form');
});
