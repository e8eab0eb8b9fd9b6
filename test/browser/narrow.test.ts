import type { Page } from 'playwright-core';
import t from 'tap';
import { DEMO_PASSWORD, DEMO_USERS, ensureDemoData } from '../../src/demo.ts';
import { collectErrors, expectAccessible, startBrowserSession } from './browser.ts';

// Issue 19, point 11: no page an admin can reach is wider than a 390 px phone, the menu folds away
// behind a button on a phone (and is simply shown without JavaScript), and an admin's menu takes at
// most two rows at 1280 px. The proportionality report is left out: its table is reworked in point 9.

const admin = DEMO_USERS.find((u) => u.role === 'admin');
if (!admin) throw new Error('the demo has an admin');

/** Links not to follow: leaving the app, files, actions behind a GET, and the report owned by point 9. */
const SKIP = [
  /^\/logout/,
  /^\/language/,
  /^\/static\//,
  /^\/api\//,
  /^\/docs/,
  /^\/calendar\//,
  /\.(csv|xlsx|ics)$/,
  /^\/reports\/proportionality/,
];

/** One page per route: numbers in the path stand for an id. */
const routeOf = (path: string) => path.replace(/\/\d+(?=\/|$)/g, '/:id');

async function signIn(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill(admin?.email ?? '');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

/** How much wider than the viewport the page is, and the widest elements that stick out (for the message). */
async function overflow(page: Page): Promise<{ width: number; culprits: string[] }> {
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const culprits: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      // Inside a scroll container an element may stick out: only what widens the page counts.
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible') clipped = true;
      }
      if (r.right > viewport + 1 && culprits.length < 5 && !clipped) {
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(' ').join('.')}` : '';
        culprits.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls} right=${Math.round(r.right)}`);
      }
    }
    return { width: document.documentElement.scrollWidth, culprits };
  });
}

// One app with the demo data and one Chromium for the file's three tests: each has its own browser
// context (cookies, viewport) and signs in itself. The crawl follows links only (GET), and writes nothing.
const { app, browser, base } = await startBrowserSession(t);
await ensureDemoData(app);

t.test('at 390 px no page an admin can reach is wider than the screen', async (t) => {
  const context = await browser.newContext({ baseURL: base, locale: 'da-DK', viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const consoleErrors = collectErrors(page);
  await signIn(page);

  // Crawl from the home page and the reports that are reached through the proportionality report:
  // every link in the app, up to three pages per route (an admin may edit some actors, not others).
  const queue = ['/', '/reports/shared-actors', '/reports/shared-actors/duplicates', '/actors/merge?ids=1&ids=2'];
  const paths = new Set<string>();
  const perRoute = new Map<string, number>();
  const visited = new Set<string>();
  while (queue.length) {
    const url = queue.shift() ?? '/';
    const path = new URL(url, base).pathname;
    const route = routeOf(path);
    if (paths.has(path) || (perRoute.get(route) ?? 0) >= 3) continue;
    paths.add(path);
    perRoute.set(route, (perRoute.get(route) ?? 0) + 1);
    const response = await page.goto(url);
    t.equal(response?.status(), 200, `${url} answers 200`);
    visited.add(route);
    const { width, culprits } = await overflow(page);
    t.ok(width <= 390, `${url} is ${width} px wide at 390 px`, { culprits });
    const links = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLAnchorElement>('a[href]')).map((a) => a.href),
    );
    for (const href of links) {
      const u = new URL(href);
      if (u.origin !== new URL(base).origin || SKIP.some((re) => re.test(u.pathname))) continue;
      if (!paths.has(u.pathname) && (perRoute.get(routeOf(u.pathname)) ?? 0) < 3) queue.push(u.pathname + u.search);
    }
  }
  t.ok(visited.size >= 30, `the crawl reached the app's pages (${visited.size}: ${[...visited].join(' ')})`);
  for (const must of [
    '/actors/:id/edit',
    '/actors/:id/history',
    '/agreements/:id/edit',
    '/grants/:id',
    '/grant-rounds/:id',
    '/outreach/:id/edit',
    '/need-estimates',
    '/reports/shared-actors',
    '/admin/users/:id/edit',
    '/audit',
    '/account/calendar',
  ]) {
    t.ok(visited.has(must), `${must} was checked`);
  }
  t.same(consoleErrors, [], 'no console errors, CSP violations or missing files on the way');
  // And the error page (its 404 is the point here).
  t.equal((await page.goto('/actors/99999999'))?.status(), 404);
  t.ok((await overflow(page)).width <= 390, 'the error page fits the screen');
});

t.test('on a phone the menu folds away behind a button that works with the keyboard', async (t) => {
  const context = await browser.newContext({ baseURL: base, locale: 'da-DK', viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const consoleErrors = collectErrors(page);
  await signIn(page);
  const nav = page.getByRole('navigation', { name: 'Hovedmenu' });
  const button = nav.getByRole('button', { name: /^Menu/ });
  const actors = nav.getByRole('link', { name: 'Aktører', exact: true });
  t.ok(await button.isVisible(), 'the menu button is shown');
  t.equal(await button.getAttribute('aria-expanded'), 'false', 'and says the menu is folded');
  t.notOk(await actors.isVisible(), 'the menu is folded away');
  const header = await page.locator('header').boundingBox();
  t.ok((header?.height ?? 999) < 200, `the header is short (${header?.height} px)`);
  await expectAccessible(t, page, 'the follow-up page at 390 px, menu folded');

  // Tab to the button, open the menu with Enter, tab into it, fold it again with Escape.
  for (let i = 0; i < 12 && !(await button.evaluate((b) => b === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  t.ok(await button.evaluate((b) => b === document.activeElement), 'the button is reached with Tab');
  await page.keyboard.press('Enter');
  t.equal(await button.getAttribute('aria-expanded'), 'true', 'Enter opens the menu');
  t.ok(await actors.isVisible(), 'the menu is shown');
  await page.keyboard.press('Tab');
  t.match(await page.evaluate(() => document.activeElement?.textContent?.trim()), /^Opfølgning/, 'Tab goes into it');
  await expectAccessible(t, page, 'the follow-up page at 390 px, menu open');
  t.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'the open menu fits the screen');
  await page.keyboard.press('Escape');
  t.equal(await button.getAttribute('aria-expanded'), 'false', 'Escape folds it away');
  t.ok(await button.evaluate((b) => b === document.activeElement), 'and focus is back on the button');
  t.notOk(await actors.isVisible());
  await page.keyboard.press(' ');
  t.equal(await button.getAttribute('aria-expanded'), 'true', 'Space opens it too');
  await actors.click();
  await page.waitForURL(/\/actors$/);
  t.equal(await button.getAttribute('aria-expanded'), 'false', 'the next page starts with the menu folded');
  t.same(consoleErrors, [], 'no console errors or CSP violations');

  // Without JavaScript there is no button: the menu is simply shown, and fits.
  const plain = await browser.newContext({
    baseURL: base,
    locale: 'da-DK',
    viewport: { width: 390, height: 844 },
    javaScriptEnabled: false,
  });
  const noJs = await plain.newPage();
  await signIn(noJs);
  const plainNav = noJs.getByRole('navigation', { name: 'Hovedmenu' });
  t.notOk(await plainNav.getByRole('button', { name: /^Menu/ }).isVisible(), 'without JavaScript, no menu button');
  t.ok(await plainNav.getByRole('link', { name: 'Aktører', exact: true }).isVisible(), 'and the menu is shown');
  t.ok((await noJs.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'and fits the screen');
  // axe needs JavaScript itself: it checks the same page with the app's own scripts blocked.
  const blocked = await browser.newContext({ baseURL: base, locale: 'da-DK', viewport: { width: 390, height: 844 } });
  await blocked.route(/\/static\/(js|vendor\/htmx)\//, (route) => route.abort());
  const scriptless = await blocked.newPage();
  await signIn(scriptless);
  t.ok(await scriptless.getByRole('link', { name: 'Aktører', exact: true }).isVisible());
  await expectAccessible(t, scriptless, 'the follow-up page at 390 px without the app’s scripts');
});

t.test('at 1280 px an admin’s menu takes at most two rows, and on a wide screen there is no menu button', async (t) => {
  const context = await browser.newContext({ baseURL: base, locale: 'da-DK', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page);
  const nav = page.getByRole('navigation', { name: 'Hovedmenu' });
  t.ok(await nav.getByRole('link', { name: 'Brugere' }).isVisible(), 'an admin sees the users link');
  t.notOk(await nav.getByRole('button', { name: /^Menu/ }).isVisible(), 'no menu button on a wide screen');
  const rows = await page.evaluate(
    () =>
      new Set(
        Array.from(document.querySelectorAll('.samspil-nav li')).map((li) =>
          Math.round(li.getBoundingClientRect().top),
        ),
      ).size,
  );
  t.ok(rows <= 2, `the menu takes ${rows} rows`);
  const height = (await nav.boundingBox())?.height ?? 999;
  t.ok(height <= 100, `the menu is ${height} px high`);
  await expectAccessible(t, page, 'the follow-up page at 1280 px');
});
