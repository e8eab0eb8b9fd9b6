import { sql } from 'drizzle-orm';
import t from 'tap';
import { decodeWindows1252 } from '../../../src/lib/windows-1252.ts';
import { buildTestApp } from '../../helper.ts';
import { multipart, uploadApi } from './upload.ts';

/**
 * The printable characters Windows-1252 puts at 0x80–0x9F (where Latin-1 has control codes), by
 * their byte, from the code page's table. 0x81, 0x8D, 0x8F, 0x90 and 0x9D are unassigned.
 */
const HIGH: [number, string][] = [
  [0x80, '€'],
  [0x82, '‚'],
  [0x83, 'ƒ'],
  [0x84, '„'],
  [0x85, '…'],
  [0x86, '†'],
  [0x87, '‡'],
  [0x88, 'ˆ'],
  [0x89, '‰'],
  [0x8a, 'Š'],
  [0x8b, '‹'],
  [0x8c, 'Œ'],
  [0x8e, 'Ž'],
  [0x91, '‘'],
  [0x92, '’'],
  [0x93, '“'],
  [0x94, '”'],
  [0x95, '•'],
  [0x96, '–'],
  [0x97, '—'],
  [0x98, '˜'],
  [0x99, '™'],
  [0x9a, 'š'],
  [0x9b, '›'],
  [0x9c, 'œ'],
  [0x9e, 'ž'],
  [0x9f, 'Ÿ'],
];
const ALL = HIGH.map(([, ch]) => ch).join(' ');

/** A text saved as Windows-1252, as Danish Excel saves "CSV (semikolonsepareret)". */
function saveAsWindows1252(text: string): Buffer {
  const byChar = new Map(HIGH.map(([byte, ch]) => [ch, byte]));
  return Buffer.from(
    Array.from(text, (ch) => {
      const code = ch.codePointAt(0) as number;
      const byte = byChar.get(ch) ?? (code <= 0xff && (code < 0x80 || code > 0x9f) ? code : undefined);
      if (byte === undefined) throw new Error(`not in Windows-1252: ${ch}`);
      return byte;
    }),
  );
}

// One app for the file: the grant list's test reads back its own grant, the need estimate's its own
// year of København.
const h = await buildTestApp(t);

t.test('a grant list saved as Windows-1252 imports every character of 0x80–0x9F as written', async (t) => {
  t.equal(HIGH.length, 27);
  const finance = await h.as('finance', 101);
  const actorName = 'Café “Ø-kanten” – Søndermarken';
  const title = `Æbleskiver for 50 € ‘på’ lørdag: ${ALL}`;
  const file = saveAsWindows1252(
    ['Forening;CVR;Titel;År;Bevilget;Målgruppe', `${actorName};;${title};2025;1.000;Stofmisbrug`].join('\r\n'),
  );
  t.equal(file.filter((b) => b >= 0x80 && b <= 0x9f).length, 27 + 6, 'the bytes of 0x80–0x9F are in the file');

  const res = await uploadApi(finance, 'grants', file, {}, 'bevillinger.csv');
  t.equal(res.statusCode, 201, res.body);
  const item = res.json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  await h.app.importRunner.idle();
  const done = (await finance.inject({ method: 'GET', url: `/api/v1/imports/${item.id}` })).json();
  t.equal(done.status, 'done', JSON.stringify(done.problems));
  const [grant] = await h.database.rows<{ title: string; name: string }>(
    sql`select g.title, a.name from grants g join actors a on a.id = g.actor_id where g.title like 'Æbleskiver%'`,
  );
  t.equal(grant?.title, title, 'the title holds each character as written');
  t.equal(grant?.name, actorName, 'so does the actor’s name');

  // A byte the code page leaves unassigned is not text.
  const unassigned = Buffer.concat([
    file,
    Buffer.from([0x0d, 0x0a]),
    saveAsWindows1252('Forening B;;Tur'),
    Buffer.from([0x81]),
  ]);
  const refused = await uploadApi(finance, 'grants', unassigned);
  t.equal(refused.statusCode, 400, 'a byte with no character is refused');
  t.match(refused.json().message, /hverken en CSV-fil eller en Excel-fil/);
});

t.test('a need estimate file saved as Windows-1252 keeps its source as written', async (t) => {
  const finance = await h.as('finance', 101);
  const source = `Tælling – “SFI” ${ALL}`;
  const file = saveAsWindows1252(`Målgruppe;Antal;Kilde\r\nHjemløshed;1.250;${source}\r\n`);
  const res = await finance.inject({
    method: 'POST',
    url: '/need-estimates/import',
    ...multipart({ _csrf: finance.csrf, municipalityCode: '101', year: '2026' }, file, 'behov.csv'),
  });
  t.equal(res.statusCode, 303, res.body.slice(0, 500));
  const [estimate] = await h.app.services.needEstimates.list(101, 2026);
  t.equal(estimate?.people, 1250);
  t.equal(estimate?.source, source, 'the source holds each character as written');
});

t.test('the decoder follows the code page byte for byte', async (t) => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const text = decodeWindows1252(bytes);
  const high = new Map(HIGH);
  const wrong = [...text].flatMap((ch, byte) => {
    const want = byte >= 0x80 && byte <= 0x9f ? (high.get(byte) ?? '\ufffd') : String.fromCharCode(byte);
    return ch === want ? [] : [`0x${byte.toString(16)}: ${ch.codePointAt(0)?.toString(16)}`];
  });
  t.same(wrong, [], 'Latin-1 where the code pages agree, the table at 0x80–0x9F, U+FFFD where it has nothing');
});
