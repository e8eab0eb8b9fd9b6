import t from 'tap';
import { buildTestApp, writesHeard } from '../../helper.ts';

/**
 * The report pages reuse their rendered content (reply.renderShared): for everyone of one role,
 * municipality and language, until a write is committed. What must not be shared is the user's own.
 */
const REPORT = '/reports/proportionality?area=municipality:101&year=2026';

/** One app for the file: each test signs in its own users. */
const h = await buildTestApp(t);

t.test('a reused report page carries the asking user’s own name and CSRF token', async (t) => {
  const first = await h.as('coordinator', 101);
  const second = await h.as('coordinator', 101);
  await writesHeard(h.database);
  const a = await first.inject({ method: 'GET', url: REPORT });
  const b = await second.inject({ method: 'GET', url: REPORT });
  t.equal(a.statusCode, 200);
  t.equal(b.statusCode, 200);
  t.not(first.csrf, second.csrf, 'two sessions, two tokens');
  t.ok(b.body.includes(second.csrf), 'the second user’s page has the second user’s token');
  t.notOk(b.body.includes(first.csrf), 'and not the first user’s');
  const main = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0];
  t.equal(main(b.body), main(a.body), 'the report itself is the same');
  for (const html of [a.body, b.body])
    t.notMatch(main(html) ?? '', /name="_csrf"|X-CSRF-Token/, 'the shared content holds no token');
});

t.test('a write shows in the report at once, and each municipality and language has its own', async (t) => {
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const group = groups.find((g) => g.nameDa === 'Stofmisbrug');
  if (!group) throw new Error('no group Stofmisbrug');
  const before = await finance.inject({ method: 'GET', url: REPORT });
  t.notMatch(before.body, /7\.654/);
  const saved = await finance.postForm('/need-estimates/cell', {
    municipalityCode: '101',
    year: '2026',
    targetGroupId: String(group.id),
    people: '7654',
  });
  t.equal(saved.statusCode, 303, 'the estimate is saved');
  const after = await finance.inject({ method: 'GET', url: REPORT });
  t.match(after.body, /7\.654/, 'the next page shows it, not the page reused from before');
  const english = await finance.inject({
    method: 'GET',
    url: REPORT,
    headers: { cookie: `${finance.cookie}; lang=en` },
  });
  t.match(english.body, /<h1>Proportionality<\/h1>/, 'English is rendered in English');
  t.notMatch(english.body, /<h1>Proportionalitet/, 'not reused from the Danish page');

  // With no area chosen, the report is of the user's own municipality: not one reused from another's.
  const aarhus = await h.as('finance', 751);
  const own101 = await finance.inject({ method: 'GET', url: '/reports/proportionality?year=2026' });
  const own751 = await aarhus.inject({ method: 'GET', url: '/reports/proportionality?year=2026' });
  t.match(own101.body, /value="municipality:101" selected/);
  t.match(own751.body, /value="municipality:751" selected/, 'Aarhus sees Aarhus');

  // The htmx partial is its own content, without the layout.
  const partial = await finance.inject({
    method: 'GET',
    url: REPORT,
    headers: { 'hx-request': 'true', 'hx-target': 'report' },
  });
  t.notMatch(partial.body, /<html/, 'the partial has no layout');
  t.match(partial.body, /7\.654/);
  const whole = await finance.inject({ method: 'GET', url: REPORT });
  t.match(whole.body, /<html/, 'and the page after it has');
});

t.test('the shared-actors page is reused the same way, with the user’s own token', async (t) => {
  const first = await h.as('viewer', 101);
  const second = await h.as('viewer', 101);
  await writesHeard(h.database);
  const url = '/reports/shared-actors?year=2026';
  const a = await first.inject({ method: 'GET', url });
  const b = await second.inject({ method: 'GET', url });
  t.equal(a.statusCode, 200);
  t.equal(b.statusCode, 200);
  t.ok(b.body.includes(second.csrf));
  t.notOk(b.body.includes(first.csrf));
  t.match(b.body, /<html[\s\S]*<h1>/, 'inside the layout');
});
