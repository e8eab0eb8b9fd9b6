import fc from 'fast-check';
import t from 'tap';
import { pluralCategory } from '../../src/i18n/index.ts';
import { decimals, formatNumber } from '../../src/lib/format.ts';

/**
 * Numbers and plural categories are worked out by hand where Intl took about a microsecond each
 * (src/lib/format.ts, src/i18n/index.ts; issue 17). They must read exactly as Intl writes them for
 * da-DK and en-GB, whatever the number.
 */
const locales = ['da', 'en'] as const;
const tag = { da: 'da-DK', en: 'en-GB' } as const;

/** Doubles of every kind: tiny and huge, negative, -0, NaN and the infinities. */
const anyDouble = fc.double();
/** Amounts and shares as the pages have them: a few whole digits and many decimals. */
const everyday = fc.oneof(
  fc.double({ min: -1_000_000, max: 1_000_000, noNaN: true }),
  fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1000),
  fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100 + 0.005),
);
/** Values at the edge of rounding, where the shortest decimal form and toFixed part ways. */
const edges = [
  0,
  -0,
  0.5,
  1.5,
  2.5,
  -2.5,
  0.05,
  0.15,
  0.25,
  0.35,
  0.45,
  0.95,
  0.995,
  0.9995,
  1.005,
  1.0005,
  1.045,
  2.675,
  8.345,
  9.995,
  99.95,
  999.9995,
  1234.5678,
  999999.95,
  0.0005,
  0.0015,
  1e-7,
  1.5e-7,
  123e-20,
  1e21,
  1.5e21,
  1e300,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  12.3456789,
  -0.04,
  -0.0004,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

t.test('formatNumber writes a number as Intl.NumberFormat does by default', async (t) => {
  for (const locale of locales) {
    const intl = new Intl.NumberFormat(tag[locale]);
    for (const n of edges) t.equal(formatNumber(n, locale), intl.format(n), `${n} (${locale})`);
    fc.assert(
      fc.property(fc.oneof(anyDouble, everyday), (n) => formatNumber(n, locale) === intl.format(n)),
      {
        numRuns: 2000,
      },
    );
  }
});

t.test('decimals() writes a number with its decimals as Intl.NumberFormat does', async (t) => {
  const shapes: [number, number][] = [
    [0, 0],
    [0, 1],
    [2, 2],
    [1, 3],
  ];
  for (const locale of locales)
    for (const [min, max] of shapes) {
      const mine = decimals(locale, min, max);
      const intl = new Intl.NumberFormat(tag[locale], { minimumFractionDigits: min, maximumFractionDigits: max });
      for (const n of edges) t.equal(mine(n), intl.format(n), `${n} with ${min}–${max} decimals (${locale})`);
      fc.assert(
        fc.property(fc.oneof(anyDouble, everyday), (n) => mine(n) === intl.format(n)),
        { numRuns: 1000 },
      );
    }
  // The cases the hand-written way is for, read as a person expects them.
  t.equal(decimals('da', 0, 1)(12.345), '12,3');
  t.equal(decimals('da', 2, 2)(1.005), '1,01', 'rounded as ICU rounds, not as toFixed does');
  t.equal(decimals('en', 2, 2)(1234567.891), '1,234,567.89');
  t.equal(decimals('da', 0, 1)(99.96), '100');
});

t.test('a count is "one" or "other" as Intl.PluralRules says', async (t) => {
  for (const locale of locales) {
    const rules = new Intl.PluralRules(tag[locale]);
    for (let n = -1000; n <= 1000; n++) t.equal(pluralCategory(n, locale), rules.select(n), `${n} (${locale})`);
    for (const n of edges) t.equal(pluralCategory(n, locale), rules.select(n), `${n} (${locale})`);
    fc.assert(
      fc.property(fc.oneof(anyDouble, fc.integer()), (n) => pluralCategory(n, locale) === rules.select(n)),
      { numRuns: 2000 },
    );
  }
  // Danish says "1,5 time" (one) where English says "1.5 hours" (other): not a whole number, Intl's to say.
  t.equal(pluralCategory(1.5, 'da'), 'one');
  t.equal(pluralCategory(1.5, 'en'), 'other');
});
