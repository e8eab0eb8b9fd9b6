import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp } from '../../helper.ts';
import { multipart } from '../imports/upload.ts';
import { pdf } from './files.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Issue 21, the review's abuse findings: a page that takes no file refuses a multipart body before
 * it is read; an upload to a link that is no application's is 404 before its body is read; a
 * limited form is shown again with what was typed; and a stranger who types an applicant's address
 * cannot use up what the applicant's own link may save.
 */

// One app for the tests that can share it: each makes its own round. The limited form has an app of
// its own (other limits).
const h = await buildTestApp(t);

t.test('only a route that takes a file reads a multipart body', async (t) => {
  const roundId = await roundOf(h, 'Pulje uden filer');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
  const applications = async () =>
    (await h.database.rows<{ n: number }>(sql`select count(*)::int as n from applications`))[0]?.n;
  const before = await applications();
  const body = multipart({ _csrf: v.csrf, contactEmail: 'a@b.dk', intent: 'draft' }, pdf(2 * 1024 * 1024), 'x.pdf');
  for (const url of [page, '/login', '/password/forgotten']) {
    const res = await h.app.inject({ method: 'POST', url, ...body, headers: { ...body.headers, cookie: v.cookie } });
    t.equal(res.statusCode, 415, `${url}: a multipart body is refused unread`);
    t.match(res.body, /Indholdstypen understøttes ikke/);
  }
  t.equal(await applications(), before, 'nothing saved');
});

t.test('an upload to a link that is no application is 404 before its body is read', async (t) => {
  const roundId = await roundOf(h, 'Pulje for links');
  const v = await visitor(h.app, `/public/rounds/${roundId}/apply`);
  // No CSRF token at all: had the body been read, the form's missing token would answer 403.
  const body = multipart({ kind: 'statutes' }, pdf(), 'a.pdf');
  const res = await h.app.inject({
    method: 'POST',
    url: `/public/applications/${'x'.repeat(43)}/documents`,
    ...body,
    headers: { ...body.headers, cookie: v.cookie },
  });
  t.equal(res.statusCode, 404);
});

t.test('a limited form is shown again with what was typed, and the limit per address spares the link', async (t) => {
  const h = await buildTestApp(t, { env: { APPLICATION_LIMIT_PER_IP: '100', APPLICATION_LIMIT_PER_EMAIL: '1' } });
  const roundId = await roundOf(h, 'Pulje med grænse');
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const applicant = await visitor(h.app, page, '203.0.113.10');
  const draft = await applicant.post(page, {
    contactEmail: 'kirsten@forening.dk',
    intent: 'draft',
    projectTitle: 'Madklub',
  });
  t.equal(draft.statusCode, 303);
  const token = tokenFrom(draft.headers.location);

  const stranger = await visitor(h.app, page, '198.51.100.20');
  const limited = await stranger.post(page, {
    contactEmail: 'kirsten@forening.dk',
    intent: 'draft',
    projectTitle: 'Et langt projekt, skrevet med omhu',
  });
  t.equal(limited.statusCode, 429, 'a second new application to the same address within the hour');
  t.match(limited.body, /id="error-summary"/, 'shown as the form with its error summary');
  t.match(limited.body, /Vent lidt, og prøv igen/);
  t.match(limited.body, /value="Et langt projekt, skrevet med omhu"/, 'with what was typed');

  const linkPage = await applicant.get(`/public/applications/${token}`);
  const version = /name="version" value="(\d+)"/.exec(linkPage.body)?.[1] as string;
  const sent = await applicant.post(
    `/public/applications/${token}`,
    associationForm(groupId, { contactEmail: 'kirsten@forening.dk', version }),
  );
  t.equal(sent.statusCode, 303, "the applicant's own link still saves and sends under the same address");

  const other = await visitor(h.app, page, '203.0.113.11');
  const draft2 = await other.post(page, { contactEmail: 'lars@forening.dk', intent: 'draft' });
  const token2 = tokenFrom(draft2.headers.location);
  const page2 = await other.get(`/public/applications/${token2}`);
  const version2 = /name="version" value="(\d+)"/.exec(page2.body)?.[1] as string;
  const moved = await other.post(`/public/applications/${token2}`, {
    contactEmail: 'kirsten@forening.dk',
    intent: 'draft',
    version: version2,
  });
  t.equal(moved.statusCode, 429, 'a link that gives its draft another address counts against that address');
  t.match(moved.body, /value="kirsten@forening.dk"/, 'and the form keeps what was typed');
});
