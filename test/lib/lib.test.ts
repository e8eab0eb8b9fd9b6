import v8 from 'node:v8';
import { decodeHTML } from 'entities';
import { Eta } from 'eta';
import fc from 'fast-check';
import t from 'tap';
import { z } from 'zod';
import { parseCsv, parseCsvRecords } from '../../src/lib/csv.ts';
import { isEightDigits, normaliseCvr, passesModulus11 } from '../../src/lib/cvr.ts';
import { formatDate, formatDateTime } from '../../src/lib/format.ts';
import { coerceForm, idFrom } from '../../src/lib/forms.ts';
import { atOneByte, escapeHtml, htmlJoin, latin1Templates, numberCells, withinLatin1 } from '../../src/lib/html.ts';
import { parseForm, parseQuery } from '../../src/lib/querystring.ts';
import { validCvr } from '../factories.ts';

t.test('CVR modulus-11', async (t) => {
  t.ok(passesModulus11('10150817'), 'a real CVR number passes');
  t.notOk(passesModulus11('10150818'));
  t.notOk(passesModulus11('1015081'), 'seven digits');
  t.notOk(passesModulus11('1015081a'));
  for (let seed = 0; seed < 50; seed++) t.ok(passesModulus11(validCvr(seed * 7919)));
  t.equal(normaliseCvr(' DK 1015 0817 '), '10150817');
  t.ok(isEightDigits('00000000'));
});

t.test('dates the Danish way', async (t) => {
  t.equal(formatDate('2026-11-22'), '22.11.2026');
  t.equal(formatDate(new Date('2026-11-22T23:30:00Z')), '23.11.2026', 'in Danish time');
  t.equal(formatDate('2026-11-22', 'en'), '22/11/2026');
  t.equal(formatDate(new Date('2026-11-22T23:30:00Z'), 'en'), '23/11/2026', 'in English, in Danish time too');
  t.equal(formatDate('2026-11-22T23:30:00Z'), '23.11.2026', 'a timestamp as text');
  t.equal(formatDate(null), '');
  t.equal(formatDateTime(new Date('2026-06-01T08:05:00Z')), '01.06.2026 kl. 10:05');
});

t.test('CSV', async (t) => {
  t.same(parseCsv('a,b\n"x, y","say ""hi"""\r\n'), [
    ['a', 'b'],
    ['x, y', 'say "hi"'],
  ]);
  t.same(parseCsvRecords('\ufeffname;code\nKøbenhavn;101\n', ';'), [{ name: 'København', code: '101' }]);
  t.same(parseCsv(''), []);
});

t.test('coerceForm turns form strings into the shape a schema expects', async (t) => {
  const schema = z.object({
    name: z.string(),
    note: z.string().nullish(),
    optional: z.string().optional(),
    count: z.number(),
    flag: z.boolean(),
    flags: z.array(z.string()).default([]),
    ids: z.array(z.number()),
    rows: z.array(z.object({ name: z.string(), email: z.string().optional() })),
    group: z.object({ name: z.string() }),
  });
  const out = coerceForm(schema, {
    name: '  Anna  ',
    note: '',
    optional: '',
    count: '42',
    flags: 'one',
    ids: ['1', '2'],
    rows: { 1: { name: 'B' }, 0: { name: 'A', email: '' }, 2: { name: '', email: '' } },
  });
  t.same(out, {
    name: 'Anna',
    count: 42,
    flag: false,
    flags: ['one'],
    ids: [1, 2],
    rows: [{ name: 'A' }, { name: 'B' }],
    group: {},
  });
  t.same(coerceForm(schema, { flag: 'on' }), { flag: true, ids: [], rows: [], group: {} }, 'defaults are left to zod');
  t.same(coerceForm(z.object({ b: z.boolean().nullish() }), { b: 'false' }), { b: false });
  t.same(coerceForm(z.object({ n: z.number() }), { n: 'abc' }), { n: 'abc' }, 'left for zod to refuse');
});

t.test('idFrom refuses anything but a positive 32-bit integer', async (t) => {
  t.equal(idFrom({ id: '42' }), 42);
  for (const bad of ['0', '-1', '1e3', 'abc', '99999999999', '', undefined]) {
    t.throws(() => idFrom({ id: bad }), { code: 'NOT_FOUND' }, String(bad));
  }
});

t.test(
  'escapeHtml: the five characters that end a text or an attribute, and each character beyond Latin-1',
  async (t) => {
    t.equal(escapeHtml(`<a href="x">Børn & unge's</a>`), '&lt;a href=&quot;x&quot;&gt;Børn &amp; unge&#39;s&lt;/a&gt;');
    t.equal(escapeHtml(42), '42');
    t.equal(escapeHtml(null), 'null', 'as eta wrote a value that is not text');
    t.equal(escapeHtml(undefined), 'undefined');
    t.equal(escapeHtml('&&'), '&amp;&amp;', 'every one, not the first');
    t.equal(escapeHtml('<'), '&lt;', 'and again after a call that found some (no pattern left part-way)');
    const latin1 = 'Æble, øl og å · § 18 · ½ · é · ü';
    t.equal(escapeHtml(latin1), latin1, 'Danish letters and Latin-1 signs as they are');
    t.equal(escapeHtml('10–12 ☕ Łódź'), '10&#8211;12 &#9749; &#321;ód&#378;', 'beyond Latin-1: a reference each');
    t.equal(
      escapeHtml('😀 & 😀'),
      '&#128512; &amp; &#128512;',
      'a character beyond U+FFFF is one reference, not two halves',
    );
    t.equal(
      escapeHtml('a\ud800b'),
      'a&#55296;b',
      'a lone half of a pair: a reference a browser reads as U+FFFD, as before',
    );
    // Written out another way (code point by code point), the escape is exactly the five entities and
    // a reference for each character beyond Latin-1; and an independent decoder (entities) reads it back.
    const five: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
    const expected = (s: string) =>
      Array.from(s, (c) => five[c] ?? ((c.codePointAt(0) as number) > 0xff ? `&#${c.codePointAt(0)};` : c)).join('');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = escapeHtml(s);
        return escaped === expected(s) && decodeHTML(escaped) === s;
      }),
      { numRuns: 2000 },
    );
  },
);

t.test('withinLatin1 and the templates’ own text: references beyond Latin-1, markup untouched', async (t) => {
  t.equal(withinLatin1('<p title="a–b">10–12 😀 æ</p>'), '<p title="a&#8211;b">10&#8211;12 &#128512; æ</p>');
  const plain = '<p class="x">Børn &amp; unge</p>';
  t.equal(withinLatin1(plain), plain);
  const eta = new Eta({ autoEscape: true, escapeFunction: escapeHtml, plugins: [latin1Templates] });
  t.equal(
    eta.renderString('<p>Side <%= it.n %> – <%= it.name %> › <% const dash = "–" %><%~ dash %></p>', {
      n: 2,
      name: 'Łódź',
    }),
    '<p>Side 2 &#8211; &#321;ód&#378; &#8250; –</p>',
    'the text outside tags, and what is escaped; raw output is the caller’s',
  );
  fc.assert(
    // Text without an ampersand, so that what the decoder reads back is only the references made.
    fc.property(
      fc.string({ unit: 'binary' }).filter((s) => !s.includes('&')),
      (s) => {
        const out = withinLatin1(s);
        return decodeHTML(out) === s && !/[\u0100-\uffff]/.test(out);
      },
    ),
    { numRuns: 1000 },
  );
});

/**
 * Whether V8 holds a string at one byte a character. Its serializer writes a string by how it is
 * held: tag '"' (0x22) for one byte a character, 'c' (0x63) for two; the tag follows the header,
 * whose length the empty string gives (header, tag, length 0).
 */
const headerLength = v8.serialize('').length - 2;
const heldAtOneByte = (s: string) => v8.serialize(s)[headerLength] === 0x22;

t.test('htmlJoin: text escaped once, HTML made by it kept as it is, and nothing else let through', async (t) => {
  const after = htmlJoin('&year=2026&report=a%3Db');
  t.equal(escapeHtml(after), '&amp;year=2026&amp;report=a%3Db', 'the text escaped when it was joined');
  const link = htmlJoin('/grants?targetGroupId=', 9, after);
  t.equal(escapeHtml(link), '/grants?targetGroupId=9&amp;year=2026&amp;report=a%3Db', 'not escaped twice');
  t.equal(`${link}`, escapeHtml(link), 'as text too');
  t.equal(
    escapeHtml(htmlJoin('<b>', after, '"', 'Ærø – ☕')),
    '&lt;b&gt;&amp;year=2026&amp;report=a%3Db&quot;Ærø &#8211; &#9749;',
    'each text piece escaped as escapeHtml escapes it',
  );
  t.equal(
    escapeHtml({ html: '<script>', toString: () => '<script>' }),
    '&lt;script&gt;',
    'an object shaped like it is text, escaped',
  );
});

t.test('numberCells: a row of numbers as cells in one string, one cell given other HTML', async (t) => {
  const cells = numberCells([3, 0, 12], 1, htmlJoin('–'));
  t.equal(escapeHtml(cells), '<td>3</td><td>&#8211;</td><td>12</td>', 'written as it is, the other cell escaped once');
  t.equal(escapeHtml(numberCells([])), '', 'no cells');
  t.equal(
    escapeHtml(numberCells(['<b>' as unknown as number, 7])),
    '<td>NaN</td><td>7</td>',
    'what is not a number is not written',
  );
});

t.test('what the escape and the templates give is held at one byte a character, a page of it too', async (t) => {
  t.ok(heldAtOneByte('Børn og unge') && !heldAtOneByte('Børn – unge'), 'the check itself tells the two apart');
  t.ok(heldAtOneByte(escapeHtml('Fyldt søjle ⚠ markerer en advarsel – også her')), 'an escaped text that had a dash');
  t.ok(heldAtOneByte(withinLatin1('<p>10–12 😀</p>')), 'HTML given references');
  const eta = new Eta({ autoEscape: true, escapeFunction: escapeHtml, plugins: [latin1Templates] });
  const page = eta.renderString(
    '<ul><% for (const r of it.rows) { %><li><%= r %> – <%= it.sign %></li><% } %></ul> › slut',
    { rows: ['Łódź’s forening', 'Café ☕', 'Aarhus'], sign: '⚠' },
  );
  t.ok(heldAtOneByte(page), 'a rendered page whose text and values had characters beyond Latin-1');
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => heldAtOneByte(escapeHtml(s)) && heldAtOneByte(withinLatin1(s))),
    { numRuns: 1000 },
  );
});

t.test('query strings and forms: read as qs reads them, each value held at one byte where it can be', async (t) => {
  const query = parseQuery(
    'q=lektiehj%C3%A6lp&roundId=3&tags[]=%C3%A6&tags[]=b&name=Caf%C3%A9+%E2%80%93+%C5%81%C3%B3d%C5%BA',
  );
  t.same(
    query,
    { q: 'lektiehjælp', roundId: '3', tags: ['æ', 'b'], name: 'Café – Łódź' },
    'the values as qs gives them',
  );
  t.ok(heldAtOneByte(query.q as string), 'a Danish word from the address, at one byte');
  t.ok(heldAtOneByte((query.tags as string[])[0] as string), 'a list item too');
  t.ok(
    !heldAtOneByte(query.name as string),
    'a name beyond Latin-1 stays as it is (the escape makes references of it)',
  );
  const form = parseForm('contacts[0][name]=S%C3%B8ren+%C3%85gesen&_csrf=x');
  t.same(form, { contacts: [{ name: 'Søren Ågesen' }], _csrf: 'x' });
  t.ok(heldAtOneByte((form.contacts as { name: string }[])[0]?.name as string), 'a form value, at one byte');
  t.equal(atOneByte('abc'), 'abc');
  t.ok(heldAtOneByte(atOneByte(decodeURIComponent('%C3%A6bler'))), 'what decodeURIComponent held at two bytes');
});
