import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { da } from '../../src/i18n/da.ts';
import { en } from '../../src/i18n/en.ts';
import { translate } from '../../src/i18n/index.ts';
import { followUpLists } from '../../src/modules/follow-up/follow-up.service.ts';
import { root } from '../template.ts';

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : [];
  });
}

t.test('both catalogues carry the same keys', async (t) => {
  const daKeys = Object.keys(da).sort();
  const enKeys = Object.keys(en).sort();
  t.same(enKeys, daKeys);
  t.ok(daKeys.length > 100);
  for (const key of daKeys) {
    // {name} and the count of a plural choice, {name, plural, …}
    const placeholders = (s: string) => [...new Set([...s.matchAll(/\{(\w+)[,}]/g)].map((m) => m[1]))].sort();
    t.same(
      placeholders(en[key as keyof typeof en]),
      placeholders(da[key as keyof typeof da]),
      `placeholders of ${key}`,
    );
  }
});

t.test('every key the code and the templates use exists', async (t) => {
  const sources = [...files(join(root, 'views'), '.eta'), ...files(join(root, 'src'), '.ts')].map((f) =>
    readFileSync(f, 'utf8'),
  );
  const used = new Set<string>();
  for (const text of sources) {
    for (const m of text.matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) if (m[1]) used.add(m[1]);
    for (const m of text.matchAll(/'((?:validation|error|actor|targetGroup)\.[a-zA-Z0-9_.]+)[?']/g))
      if (m[1]) used.add(m[1]);
  }
  // Keys built from a prefix and a value: every value of the enum must be present.
  for (const prefix of [
    'actor.role.',
    'actor.roleHint.',
    'actor.orgType.',
    'actor.status.',
    'errorPage.title.',
    'errorPage.help.',
  ]) {
    t.ok(
      Object.keys(da).some((k) => k.startsWith(prefix)),
      prefix,
    );
  }
  // The follow-up page's links under each of its lists.
  for (const list of followUpLists)
    for (const kind of ['showAll', 'showMost', 'showFewer'])
      for (const catalogue of [da, en]) t.ok(`followUp.${kind}.${list}` in catalogue, `followUp.${kind}.${list}`);
  const missing = [...used].filter((k) => !k.endsWith('.') && !(k in da));
  t.same(missing, [], 'no key is missing from the catalogue');
});

t.test('no UI text is written into the templates', async (t) => {
  for (const file of files(join(root, 'views'), '.eta')) {
    const text = readFileSync(file, 'utf8')
      .replace(/<%[\s\S]*?%>/g, '')
      .replace(/<script[\s\S]*?<\/script>/g, '')
      .replace(/<[^>]+>/g, ' ');
    const words = text
      .split(/\s+/)
      .filter(
        (w) => /\p{L}{2,}/u.test(w) && !['Samspil', 'English', 'Dansk', 'CVR', 'S'].includes(w.replace(/[(),.:]/g, '')),
      );
    t.same(words, [], `${file.replace(root, '')} has only catalogue text`);
  }
});

t.test('translate fills in parameters and keeps unknown keys visible', async (t) => {
  t.equal(translate('da', 'pagination.page', { page: 2, pages: 5 }), 'Side 2 af 5');
  t.equal(translate('en', 'validation.tooLong?maximum=200'), 'Write at most 200 characters.');
  t.equal(translate('da', 'no.such.key'), 'no.such.key');
  // A message is read once and filled in at every call: the same message, other values, other answers.
  for (const [from, to, total, text] of [
    [1, 1, 1, 'Viser 1–1 af 1 aktør'],
    [1, 50, 1234, 'Viser 1–50 af 1.234 aktører'],
    [1, 1, 1, 'Viser 1–1 af 1 aktør'],
  ] as const) {
    t.equal(translate('da', 'actors.results.count', { from, to, total }), text);
  }
  t.equal(
    translate('da', 'actors.results.count', { from: 1 }),
    'Viser 1–{to} af {total, plural, one {# aktør} other {# aktører}}',
    'a brace without its value is shown as written',
  );
  t.equal(
    translate('da', 'flash.grantAwarded', { title: 'Café', amount: '1234567' }),
    'Ansøgningen »Café« er bevilget med 12.345,67 kr.',
  );
});
