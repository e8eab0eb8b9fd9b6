import { decodeHTML } from 'entities';
import t from 'tap';
import { queueMail } from '../../../src/modules/mail/mail.compose.ts';
import { registeredActor } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * The HTML the app sends holds no character beyond Latin-1 (U+00FF): a dash, an arrow, a warning
 * sign or a name in another script is a numeric character reference, so that V8 keeps each page at
 * one byte a character (src/lib/html.ts). What a reader sees is the same: an independent decoder
 * (entities) reads the references back to the characters that were written.
 */
const NAME = 'Café Łódź – Ünge’s ☕ 😀';
const beyondLatin1 = (html: string) => [...html].filter((c) => (c.codePointAt(0) as number) > 0xff);

t.test('pages, partials and kept pages hold nothing beyond Latin-1, and read as written', async (t) => {
  const h = await buildTestApp(t);
  const actor = await registeredActor(h, { name: NAME, municipalityCodes: [101] });
  const pages = [
    { url: `/actors/${actor.id}` },
    { url: '/actors?q=Caf%C3%A9' },
    { url: '/actors?q=Caf%C3%A9', htmx: 'actor-results' },
    { url: '/target-groups' },
    { url: '/reports/proportionality?area=municipality:101&year=2026' },
    { url: `/actors/${actor.id}/edit` },
  ];
  for (const page of pages) {
    // Twice: rendered anew, then (where the page is kept) served from its kept pieces.
    for (const time of ['first', 'second']) {
      const res = await h.inject({
        method: 'GET',
        url: page.url,
        headers: page.htmx ? { 'hx-request': 'true', 'hx-target': page.htmx } : {},
      });
      const label = `${page.url}${page.htmx ? ' (htmx)' : ''}, ${time} time`;
      t.equal(res.statusCode, 200, label);
      t.same(beyondLatin1(res.body), [], `${label}: nothing beyond Latin-1`);
      if (page.url.startsWith('/actors'))
        t.ok(decodeHTML(res.body).includes(NAME), `${label}: the name reads as written`);
    }
  }
  const report = await h.inject({ method: 'GET', url: '/reports/proportionality?area=municipality:101&year=2026' });
  t.ok(decodeHTML(report.body).includes('⚠'), 'the report’s warning sign is there, as a reference');
});

t.test('a form sent back with errors keeps what was typed, beyond Latin-1 too', async (t) => {
  const h = await buildTestApp(t);
  const res = await h.postForm('/actors/new', { name: NAME, orgType: 'association', homeMunicipalityCode: '' });
  t.equal(res.statusCode, 422);
  t.same(beyondLatin1(res.body), [], 'nothing beyond Latin-1');
  t.match(res.body, 'value="Café &#321;ód&#378; &#8211; Ünge&#8217;s &#9749; &#128512;"', 'the name as references');
  t.ok(decodeHTML(res.body).includes(`value="${NAME}"`), 'and read back as typed');
});

t.test('an HTML mail holds nothing beyond Latin-1; its text part holds the characters themselves', async (t) => {
  const h = await buildTestApp(t, { users: false });
  const mail = await queueMail(
    h.database.db,
    { publicUrl: 'https://samspil.test', from: 'samspil@samspil.test' },
    {
      kind: 'welcome',
      to: 'lodz@example.dk',
      locale: 'da',
      data: {
        name: NAME,
        email: 'lodz@example.dk',
        days: 7,
        link: 'https://samspil.test/a',
        loginLink: 'https://samspil.test/login',
      },
    },
  );
  t.same(beyondLatin1(mail.htmlBody ?? ''), [], 'the HTML part: nothing beyond Latin-1');
  t.ok(decodeHTML(mail.htmlBody ?? '').includes(NAME), 'and it reads as written');
  t.ok(mail.textBody?.includes(NAME), 'the text part is not HTML: the characters as they are');
});
