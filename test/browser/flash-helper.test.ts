import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { flashSays, startBrowserSession } from './browser.ts';

// The browser tests wait for a status message through flashSays. feedback.js empties the status
// region at DOMContentLoaded and puts the message back 200 ms later (so that screen readers announce
// it); a test that read the region in between read nothing, on a busy machine (it happened in CI).
// Here feedback.js arrives late, as on such a machine: the message flashSays waits for must stay.
t.test('flashSays returns once the status message stays, not while the page may still empty it', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  await app.services.accounts.createUser(
    system,
    { email: 'flash@example.dk', name: 'F', password: 'en lang adgangskode', role: 'viewer', municipalityCode: 101 },
    { system: true },
  );
  await page.route(/\/static\/js\/feedback\.js/, async (route) => {
    await new Promise((r) => setTimeout(r, 1000));
    await route.continue();
  });
  await page.goto('/password/forgotten');
  await page.getByLabel('E-mail (skal udfyldes)', { exact: true }).fill('flash@example.dk');
  await page.keyboard.press('Enter');
  await flashSays(page, /Hvis adressen hører til en bruger/);
  // Every 10 ms for 1.5 s: the region never reads empty.
  const seen = await page.evaluate(async () => {
    const texts = new Set<string>();
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      texts.add((document.querySelector('#flash')?.textContent ?? '').trim() === '' ? 'empty' : 'message');
      await new Promise((r) => setTimeout(r, 10));
    }
    return [...texts];
  });
  t.same(seen, ['message'], 'the message stays once flashSays has seen it');
  t.same(consoleErrors, []);
});
