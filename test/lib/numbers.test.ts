import fc from 'fast-check';
import t from 'tap';
import { pluralCategory } from '../../src/i18n/index.ts';
import { decimals, formatDate, formatDateTime, formatNumber } from '../../src/lib/format.ts';

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
    const counts = [...Array.from({ length: 2001 }, (_, i) => i - 1000), ...edges];
    t.same(
      counts.filter((n) => pluralCategory(n, locale) !== rules.select(n)),
      [],
      `every count from -1000 to 1000 and the edge values (${locale})`,
    );
    fc.assert(
      fc.property(fc.oneof(anyDouble, fc.integer()), (n) => pluralCategory(n, locale) === rules.select(n)),
      { numRuns: 2000 },
    );
  }
  // Danish says "1,5 time" (one) where English says "1.5 hours" (other): not a whole number, Intl's to say.
  t.equal(pluralCategory(1.5, 'da'), 'one');
  t.equal(pluralCategory(1.5, 'en'), 'other');
});

/** Counts the calls of Intl's formatters while `run` runs (their `format` getters and `select`). */
function intlCalls(run: () => void): number {
  let calls = 0;
  const restore: (() => void)[] = [];
  for (const proto of [Intl.NumberFormat.prototype, Intl.DateTimeFormat.prototype]) {
    const format = Object.getOwnPropertyDescriptor(proto, 'format') as PropertyDescriptor;
    Object.defineProperty(proto, 'format', {
      configurable: true,
      get() {
        const bound = (format.get as () => (x: unknown) => string).call(this);
        return (x: unknown) => {
          calls++;
          return bound(x);
        };
      },
    });
    restore.push(() => Object.defineProperty(proto, 'format', format));
    const toParts = Object.getOwnPropertyDescriptor(proto, 'formatToParts') as PropertyDescriptor;
    const original = toParts.value as (...a: unknown[]) => unknown;
    Object.defineProperty(proto, 'formatToParts', {
      ...toParts,
      value(this: unknown, ...a: unknown[]) {
        calls++;
        return original.apply(this, a);
      },
    });
    restore.push(() => Object.defineProperty(proto, 'formatToParts', toParts));
  }
  const select = Intl.PluralRules.prototype.select;
  Intl.PluralRules.prototype.select = function (this: Intl.PluralRules, n: number) {
    calls++;
    return select.call(this, n);
  };
  restore.push(() => {
    Intl.PluralRules.prototype.select = select;
  });
  try {
    run();
  } finally {
    for (const r of restore) r();
  }
  return calls;
}

t.test('what a page formats most is not asked of Intl', async (t) => {
  t.equal(
    intlCalls(() => {
      for (let i = 0; i < 100; i++) {
        formatNumber(i * 1234, 'da');
        decimals('da', 0, 1)(i / 7);
        pluralCategory(i, 'en');
      }
    }),
    0,
    'numbers, shares and counts',
  );
  // A list's timestamps: a hundred over one day ask Intl about the day, not each; over the day the
  // clocks go back, about its hours.
  const day = Date.UTC(2027, 10, 22, 0, 0, 0);
  const calls = intlCalls(() => {
    for (let i = 0; i < 100; i++) formatDateTime(new Date(day + i * 14 * 60_000), 'da');
  });
  t.ok(calls <= 4, `timestamps of a day: ${calls} calls of Intl for 100`);
  const clocksBack = Date.UTC(2027, 9, 31, 0, 0, 0);
  const callsThatDay = intlCalls(() => {
    for (let i = 0; i < 100; i++) formatDateTime(new Date(clocksBack + i * 14 * 60_000), 'da');
  });
  t.ok(callsThatDay <= 50, `timestamps of the day the clocks go back: ${callsThatDay} calls of Intl for 100`);
  t.ok(
    intlCalls(() => formatNumber(1e21, 'da')) > 0,
    'the count sees Intl when it is asked (so the checks above can fail)',
  );
});

t.test('dates and times read as Intl writes them in Danish time', async (t) => {
  const zone = 'Europe/Copenhagen';
  const day = { da: 'da-DK', en: 'en-GB' } as const;
  const dayIntl = (locale: 'da' | 'en') =>
    new Intl.DateTimeFormat(day[locale], { timeZone: zone, day: '2-digit', month: '2-digit', year: 'numeric' });
  const timeIntl = new Intl.DateTimeFormat('da-DK', { timeZone: zone, hour: '2-digit', minute: '2-digit' });
  const intl = { da: dayIntl('da'), en: dayIntl('en') };
  const expected = (ms: number, locale: 'da' | 'en') => ({
    date: intl[locale].format(ms),
    dateTime: `${intl[locale].format(ms)} ${locale === 'da' ? 'kl. ' : ''}${timeIntl.format(ms).replace('.', ':')}`,
  });
  const check = (ms: number, locale: 'da' | 'en') => {
    const want = expected(ms, locale);
    return formatDate(new Date(ms), locale) === want.date && formatDateTime(new Date(ms), locale) === want.dateTime;
  };
  // Either side of the clocks going forward and back (2026), of midnight in winter and summer, of the
  // years the rule of summer time changed, and of 1900 and 3000, where the written way stops.
  const edges = [
    Date.UTC(2026, 2, 29, 1, 0, 0),
    Date.UTC(2026, 9, 25, 1, 0, 0),
    Date.UTC(2026, 0, 14, 23, 0, 0),
    Date.UTC(2026, 6, 14, 22, 0, 0),
    Date.UTC(1980, 3, 6, 1, 0, 0),
    Date.UTC(1996, 9, 27, 1, 0, 0),
    Date.UTC(1940, 3, 2, 1, 0, 0),
    Date.UTC(1900, 0, 1),
    Date.UTC(1893, 11, 31, 23, 0, 0),
    Date.UTC(3000, 0, 1),
  ].flatMap((ms) => [ms - 3_600_000, ms - 1, ms, ms + 1, ms + 3_600_000]);
  for (const locale of locales)
    for (const ms of edges) t.ok(check(ms, locale), `${new Date(ms).toISOString()} (${locale})`);
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(3100, 0, 1) }),
      fc.constantFrom(...locales),
      check,
    ),
    { numRuns: 3000 },
  );
  t.equal(formatDateTime('2026-11-22T13:05:00Z', 'da'), '22.11.2026 kl. 14:05');
  t.equal(formatDateTime('2026-07-01T22:30:00Z', 'en'), '02/07/2026 00:30');
  t.equal(formatDate('2026-11-22', 'en'), '22/11/2026', 'a calendar date as it is');
  t.throws(() => formatDate(new Date(Number.NaN)), RangeError, 'no date is an error, as before');
  // Templates are not type-checked: a timestamp as a number is read as Intl read it.
  const noon = Date.UTC(2026, 10, 22, 11, 0, 0);
  t.equal(formatDateTime(noon as unknown as Date, 'da'), '22.11.2026 kl. 12:00');
  t.equal(formatDate(noon as unknown as Date, 'en'), '22/11/2026');
});
