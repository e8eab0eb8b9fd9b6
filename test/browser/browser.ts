import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openTestDatabase } from '../helper.ts';
import { atProcessEnd } from '../shards/shards.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, headless, with the flags this machine needs (no sandbox as root, no network chatter). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

let shared: Promise<Browser> | undefined;

/**
 * One Chromium per test process: a browser shard runs its files one after another in one process,
 * and a launch costs about a second of CPU. Each file's session closes the contexts it opened; the
 * browser is closed when the shard's last file is done (or the file's, run alone).
 */
function sharedChromium(): Promise<Browser> {
  if (!shared) {
    const launched = launchChromium().then((browser) => {
      browser.on('disconnected', () => {
        if (shared === launched) shared = undefined;
      });
      return browser;
    });
    shared = launched;
    // Its pipe to the browser would keep the process from ending.
    atProcessEnd(async () => (await launched).close());
  }
  return shared;
}

/**
 * The app on a fresh test database, listening on a free loopback port, and the process's headless
 * Chromium, whose contexts (the session's own and any the test opens) are closed at the end.
 */
export async function startBrowserSession(
  t: Test,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ app: FastifyInstance; base: string; browser: Browser; page: Page; consoleErrors: string[] }> {
  const database = await openTestDatabase(t);
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', ...options.env }), { database, logger: false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await sharedChromium();
  const earlier = new Set(browser.contexts());
  let page: Page | undefined;
  t.teardown(async () => {
    // A failed test says where its page was and what it showed (a page that never came shows the one
    // before it): the rest of the story is the app's, whose log is silent here.
    if (page && !t.passing()) await describePage(t.name, page);
    for (const context of browser.contexts()) if (!earlier.has(context)) await context.close();
    await app.close();
  });
  const context = await browser.newContext({ baseURL: base, locale: 'da-DK' });
  page = await context.newPage();
  return { app, base, browser, page, consoleErrors: collectErrors(page) };
}

/** For a failed test: the page's address, title and the start of its text, on stderr (a few lines). */
async function describePage(test: string, page: Page): Promise<void> {
  const text = await page
    .locator('body')
    .innerText({ timeout: 2000 })
    .catch((err: Error) => `(its text could not be read: ${err.message.split('\n')[0]})`);
  process.stderr.write(
    `browser test "${test}" failed on ${page.url()} ("${await page.title().catch(() => '')}"):\n${text.replace(/\s+/g, ' ').slice(0, 600)}\n`,
  );
}

/**
 * The page's console errors (CSP violations among them), uncaught errors and missing files, as they
 * happen: a test ends by checking there were none. A form answering 401 (wrong password), 409 or 422
 * is expected; a missing file is not.
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|409|422)/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() === 404) errors.push(`404 ${new URL(r.url()).pathname}`);
  });
  return errors;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; html: string; failureSummary?: string }[];
}

/** Runs axe-core with the WCAG 2.1 A and AA rules and asserts that nothing is violated. */
export async function expectAccessible(t: Test, page: Page, what: string): Promise<void> {
  // The strict CSP forbids inline scripts, so axe is evaluated through the DevTools protocol.
  const has = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!has) await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations;
  })) as AxeViolation[];
  // One line per violation and element: the rule, where, the element and what to fix, so a failure is fixable.
  const summary = violations.flatMap((v) =>
    v.nodes.map(
      (n) =>
        `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')} ${n.html.slice(0, 160)} :: ` +
        `${(n.failureSummary ?? '').replace(/\s+/g, ' ').trim()} (${v.helpUrl})`,
    ),
  );
  t.same(summary, [], `axe: no WCAG 2.1 AA violations on ${what}`, { url: page.url() });
}

/**
 * Waits for a form's error summary and for the focus to be on it, where its autofocus puts it: at the
 * page's load without JavaScript, and after an htmx swap once htmx settles (20 ms after the swap).
 * Keys pressed before then could land in a field the test focused and then in the summary.
 */
export async function errorSummaryFocused(page: Page): Promise<void> {
  await page.waitForSelector('#error-summary');
  // Polled on a timer, not on animation frames: the check must not wait on the page drawing a frame,
  // which the browser's autofocus does too. CI once timed out here once in a few hundred runs without
  // saying where the focus was; a timeout now says so.
  try {
    await page.waitForFunction(() => document.activeElement?.id === 'error-summary', undefined, { polling: 50 });
  } catch (error) {
    const state = await page
      .evaluate(() => ({
        focused: document.activeElement ? `${document.activeElement.tagName}#${document.activeElement.id}` : 'none',
        summaries: document.querySelectorAll('#error-summary').length,
        autofocus: document.querySelectorAll('[autofocus]').length,
        readyState: document.readyState,
        visibility: document.visibilityState,
        hasFocus: document.hasFocus(),
      }))
      .catch((e: Error) => e.message);
    throw new Error(`the error summary did not get the focus on ${page.url()}: ${JSON.stringify(state)}`, {
      cause: error,
    });
  }
}

/** Moves the focus to a link or button by its accessible name and presses Enter, as a keyboard user does. */
export async function activate(page: Page, role: 'link' | 'button', name: string | RegExp): Promise<void> {
  await page.getByRole(role, { name }).first().focus();
  await page.keyboard.press('Enter');
}

/** A new browser context signed in through the login form, typed with the keyboard. */
export async function signInWithKeyboard(browser: Browser, base: string, email: string, password: string) {
  const context = await browser.newContext({ baseURL: base, locale: 'da-DK' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').focus();
  await page.keyboard.type(email);
  await page.getByLabel('Adgangskode (skal udfyldes)').focus();
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/');
  return page;
}

/** A criterion's score on the review form, chosen as a keyboard user does: Space on 1, arrows on. */
export async function scoreWithKeyboard(page: Page, criterion: number, value: number): Promise<void> {
  await page.locator(`#field-scores-${criterion}-score`).focus();
  await page.keyboard.press('Space');
  for (let i = 1; i < value; i++) await page.keyboard.press('ArrowRight');
}

/**
 * Waits until the status region (#flash) says `message`, on a page loaded completely: the message of
 * a page as it loads stays where it is (feedback.js only copies it into a hidden live region), and a
 * message swapped in by htmx stays until the next one. The 'complete' document also says that the
 * page's deferred scripts have run (it is 'interactive' before, and on a busy machine for a while).
 */
export async function flashSays(page: Page, message: RegExp): Promise<void> {
  await page.waitForFunction(
    ([source, flags]) =>
      document.readyState === 'complete' &&
      new RegExp(source as string, flags).test(document.querySelector('#flash')?.textContent ?? ''),
    [message.source, message.flags],
  );
}
