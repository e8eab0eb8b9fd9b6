import fc from 'fast-check';
import t from 'tap';
import { z } from 'zod';
import { translate } from '../../src/i18n/index.ts';
import { formatMoney, kronerInput, MAX_OERE, parseKroner } from '../../src/lib/money.ts';

const oere = (s: string) => {
  const r = parseKroner(s);
  return r.ok ? r.oere : r.error;
};

t.test('formatting is exact and Danish', async (t) => {
  t.equal(formatMoney(123456750), '1.234.567,50 kr.');
  t.equal(formatMoney(0), '0,00 kr.');
  t.equal(formatMoney(5), '0,05 kr.');
  t.equal(formatMoney(-1050), '-10,50 kr.');
  t.equal(formatMoney(MAX_OERE), '1.000.000.000,00 kr.', '10^9 kr. to the øre');
  t.equal(formatMoney(99_999_999_999_999n), '999.999.999.999,99 kr.');
  t.equal(formatMoney('900719925474099300'), '9.007.199.254.740.993,00 kr.', 'a sum past 2^53, exact');
  t.equal(formatMoney(123456750, 'en'), 'DKK 1,234,567.50');
});

t.test('kroner are grouped as Intl.NumberFormat groups them for da-DK and en-GB', async (t) => {
  const da = new Intl.NumberFormat('da-DK');
  const en = new Intl.NumberFormat('en-GB');
  const asIntl = (value: bigint, locale: 'da' | 'en') => {
    const abs = value < 0n ? -value : value;
    const kroner = (locale === 'da' ? da : en).format(abs / 100n);
    const n = `${value < 0n ? '-' : ''}${kroner}${locale === 'da' ? ',' : '.'}${String(abs % 100n).padStart(2, '0')}`;
    return locale === 'da' ? `${n} kr.` : `DKK ${n}`;
  };
  for (const value of [0n, 99n, 100n, 99_999n, 100_000n, 123_456_789n, 100_000_000_000n, -100_000n, 10n ** 20n])
    for (const locale of ['da', 'en'] as const)
      t.equal(formatMoney(value, locale), asIntl(value, locale), `${value} (${locale})`);
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(10n ** 21n), max: 10n ** 21n }),
      fc.constantFrom('da' as const, 'en' as const),
      (value, locale) => formatMoney(value, locale) === asIntl(value, locale),
    ),
    { numRuns: 2000 },
  );
});

t.test('an amount as a number, as digits and as a BigInt is written the same', async (t) => {
  // Amounts a double holds exactly are divided as numbers, the rest as BigInts: the two must agree,
  // on both sides of 2^53 and of the fifteen digits that take the quick way.
  const edges = [0n, 5n, 99n, 100n, -1n, -100n, 10n ** 15n - 1n, 10n ** 15n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n)];
  const same = (value: bigint, locale: 'da' | 'en') => {
    const expected = formatMoney(value, locale);
    if (formatMoney(String(value), locale) !== expected) return false;
    return !Number.isSafeInteger(Number(value)) || formatMoney(Number(value), locale) === expected;
  };
  for (const value of edges)
    for (const locale of ['da', 'en'] as const) t.ok(same(value, locale), `${value} (${locale})`);
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), fc.constantFrom('da' as const, 'en' as const), same),
    { numRuns: 2000 },
  );
  // And over the amounts that take the quick way, which draws over ±2^60 seldom reach.
  fc.assert(
    fc.property(
      fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom('da' as const, 'en' as const),
      (n, locale) => same(BigInt(n), locale),
    ),
    { numRuns: 2000 },
  );
  t.throws(() => formatMoney(1.5), 'a fraction of an øre is refused, as before');
});

t.test('accepted input', async (t) => {
  t.equal(oere('1.234,50'), 123450n);
  t.equal(oere('1234,5'), 123450n);
  t.equal(oere('1 234 kr.'), 123400n);
  t.equal(oere('1234'), 123400n);
  t.equal(oere('  20.000 kr '), 2000000n);
  t.equal(oere('1.000.000,05'), 100000005n);
  t.equal(oere('0,01'), 1n);
  t.equal(oere('DKK 150'), 15000n);
  t.equal(oere('1\u00a0234,00\u00a0kr.'), 123400n, 'no-break spaces as pasted from a spreadsheet');
  t.equal(oere('1.000.000.000'), MAX_OERE, 'the largest allowed amount');
});

t.test('refused input, each with a clear message', async (t) => {
  t.equal(oere('-5'), 'money.negative');
  t.equal(oere('−1.000'), 'money.negative');
  t.equal(oere('1,234'), 'money.decimals');
  t.equal(oere('10,005'), 'money.decimals');
  t.equal(oere('1.000.000.000,01'), 'money.tooLarge');
  t.equal(oere('1.000.000.000.000'), 'money.tooLarge');
  t.equal(oere('99999999999999999999'), 'money.tooLarge');
  for (const ambiguous of [
    '12.5',
    '1,234.50',
    '12.34.567',
    '1.234 567',
    '1e6',
    'tyve',
    '12 kr 50',
    '1..000',
    '.5',
    ',5',
    '5,',
  ]) {
    t.equal(oere(ambiguous), 'money.invalid', ambiguous);
  }
  t.equal(oere(''), 'money.required');
  t.match(translate('da', 'money.decimals'), /højst to decimaler/);

  const schema = z.object({ amount: kronerInput });
  const bad = schema.safeParse({ amount: '1,234' });
  t.equal(bad.success, false);
  t.equal(bad.error?.issues[0]?.message, 'money.decimals', 'the form gets the catalogue key');
  t.same(schema.parse({ amount: '1.234,50' }), { amount: 123450 });
});

t.test('properties: formatting and parsing round-trip', async (t) => {
  const amounts = fc.bigInt({ min: 0n, max: MAX_OERE });
  fc.assert(
    fc.property(amounts, (n) => {
      const parsed = parseKroner(formatMoney(n));
      return parsed.ok && parsed.oere === n;
    }),
    { seed: 18, numRuns: 2000 },
  );
  fc.assert(
    fc.property(amounts, (n) => {
      // The plain forms people type: no grouping, and a comma with two decimals.
      const plain = `${n / 100n},${String(n % 100n).padStart(2, '0')}`;
      const parsed = parseKroner(plain);
      return parsed.ok && parsed.oere === n;
    }),
    { seed: 18, numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (s) => {
      const parsed = parseKroner(s);
      // Anything accepted formats back to an amount that parses to the same øre.
      if (!parsed.ok) return true;
      const again = parseKroner(formatMoney(parsed.oere));
      return parsed.oere >= 0n && parsed.oere <= MAX_OERE && again.ok && again.oere === parsed.oere;
    }),
    { seed: 18, numRuns: 5000 },
  );
  t.pass('2,000 + 2,000 + 5,000 seeded runs');
});
