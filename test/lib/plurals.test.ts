import t from 'tap';
import { da } from '../../src/i18n/da.ts';
import { en } from '../../src/i18n/en.ts';
import { translate } from '../../src/i18n/index.ts';

/**
 * Issue 19, point 14: counts in the catalogue go through Intl.PluralRules ({n, plural, one {…} other
 * {…}}), so one grant is "1 bevilling", not "1 bevillinger"; Danish text quotes »like this«.
 */

const catalogues = { da, en } as const;

/** Placeholders that hold a count, and the words that may follow a bare count (they do not inflect). */
const COUNTS = ['n', 'count', 'total', 'people', 'grants', 'agreements', 'outreach', 'meetings', 'done', 'contacts'];
// "Beløb {n} i kroner" numbers a line; "{total} bevilget" is an amount of money.
const INVARIANT = {
  da: ['fejl', 'skøn', 'at', 'af', 'oprettes', 'opdateres', 'i', 'bevilget', 'vises', 'KB'],
  en: ['to', 'of', 'will', 'in', 'awarded', 'shown', 'KB'],
};

t.test('1 and 2 read right in both languages', async (t) => {
  const cases: [string, string, Record<string, string | number>, string, string][] = [
    ['da', 'users.sessions', {}, '1 aktiv session', '2 aktive sessioner'],
    ['da', 'grants.count', {}, '1 bevilling', '2 bevillinger'],
    ['da', 'reports.agreementsN', {}, '1 aftale', '2 aftaler'],
    ['da', 'agreements.count', {}, '1 aftale', '2 aftaler'],
    ['da', 'audit.count', {}, '1 registrering', '2 registreringer'],
    ['da', 'reports.sharedActors', {}, '1 delt aktør', '2 delte aktører'],
    ['da', 'merge.count.outreach', {}, '1 fremskudt indsats', '2 fremskudte indsatser'],
    ['da', 'import.commitSubmit', {}, 'Indlæs 1 række', 'Indlæs 2 rækker'],
    ['da', 'reports.flaggedBelow', {}, '1 undergruppe underforsynet', '2 undergrupper underforsynede'],
    ['da', 'actors.results.count', { from: 1, to: 1 }, 'Viser 1–1 af 1 aktør', 'Viser 1–1 af 2 aktører'],
    ['en', 'users.sessions', {}, '1 live session', '2 live sessions'],
    ['en', 'reports.agreementsN', {}, '1 agreement', '2 agreements'],
    [
      'en',
      'import.invalidHeading',
      {},
      'The file has 1 error, and nothing is imported',
      'The file has 2 errors, and nothing is imported',
    ],
  ];
  for (const [locale, key, extra, one, two] of cases) {
    const name = (catalogues[locale as 'da'][key as keyof typeof da].match(/\{(\w+), plural/) ?? [])[1] ?? 'n';
    t.equal(translate(locale as 'da', key, { ...extra, [name]: 1 }), one, `${locale} ${key} with 1`);
    t.equal(translate(locale as 'da', key, { ...extra, [name]: 2 }), two, `${locale} ${key} with 2`);
  }
  t.equal(translate('da', 'grants.count', { total: '1.234' }), '1.234 bevillinger', 'a count the page formatted');
  t.equal(translate('da', 'grants.count', { total: 1234 }), '1.234 bevillinger', 'a count as a number, in Danish');
  t.equal(translate('en', 'grants.count', { total: '1,001' }), '1,001 grants');
  t.equal(
    translate('da', 'merge.count.agreements', { n: 1, meetings: 3 }),
    '1 samarbejdsaftale med 3 statusmøder',
    'two counts in one message',
  );
});

t.test('every count in the catalogues is a plural choice', async (t) => {
  for (const [locale, catalogue] of Object.entries(catalogues) as ['da' | 'en', Record<string, string>][]) {
    for (const [key, text] of Object.entries(catalogue)) {
      t.notMatch(text, /\((?:r|er|e|s|es)\)/, `${locale} ${key}: no "(r)" or "(s)" for a plural`);
      for (const m of text.matchAll(/\{(\w+)\}\s+([\p{L}][\p{L}-]*)/gu)) {
        const [, name = '', word = ''] = m;
        if (COUNTS.includes(name))
          t.ok(INVARIANT[locale].includes(word), `${locale} ${key}: "{${name}} ${word}" is a plural choice`);
      }
      if (!text.includes(', plural,')) continue;
      // Each choice has a form for one and for others, and leaves no braces once filled in.
      for (const m of text.matchAll(/\{(\w+), plural,/g)) {
        const name = m[1] ?? '';
        const params = Object.fromEntries([...text.matchAll(/\{(\w+)[,}]/g)].map((p) => [p[1] ?? '', 2]));
        for (const n of [0, 1, 2, 1000]) {
          const out = translate(locale, key, { ...params, [name]: n });
          t.notMatch(out, /[{}#]/, `${locale} ${key} with ${name} = ${n}: ${out}`);
        }
        t.match(text, new RegExp(`\\{${name}, plural, (=\\d+ \\{[^}]*\\} )*one \\{`), `${locale} ${key}: one`);
      }
    }
  }
});

t.test('Danish copy: »quotes«, one verb for editing, the words of the issue', async (t) => {
  for (const [key, text] of Object.entries(da)) {
    t.notMatch(text, /["“”„]/, `${key}: Danish quotes are »…«`);
    t.notMatch(text, /\bRedig[eé]r/i, `${key}: editing is "Ret …"`);
    t.notMatch(text, /popupfrivillig/i, `${key}: popup-frivillighed`);
  }
  t.equal(da['rounds.opens'], 'Åbner for ansøgninger');
  t.match(Object.values(da).join('\n'), /popup-frivillighed/);
});
