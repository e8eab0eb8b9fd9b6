import fc from 'fast-check';
import t from 'tap';
import {
  addDays,
  addMonths,
  danishDate,
  daysBetween,
  isDueSoon,
  isIsoDate,
  isOverdue,
  isoWeek,
  isoWeekday,
  mondayOfIsoWeek,
  nextMeetingDue,
  parseDanishDate,
} from '../../src/lib/dates.ts';

t.test('today is the date in Denmark, also across the daylight-saving changes', async (t) => {
  const cases: [string, string, string][] = [
    // Summer time starts 29 March 2026 at 02:00 CET (01:00 UTC).
    ['2026-03-28T22:59:59Z', '2026-03-28', 'one second before midnight in winter time'],
    ['2026-03-28T23:00:00Z', '2026-03-29', 'midnight CET is 23:00 UTC'],
    ['2026-03-29T21:59:59Z', '2026-03-29', 'the evening of the change, now in summer time'],
    ['2026-03-29T22:00:00Z', '2026-03-30', 'midnight CEST is 22:00 UTC'],
    ['2026-03-31T22:30:00Z', '2026-04-01', 'half past midnight on 1 April, still 31 March in UTC'],
    // Summer time ends 25 October 2026 at 03:00 CEST (01:00 UTC).
    ['2026-10-24T21:59:59Z', '2026-10-24', 'the last summer-time evening'],
    ['2026-10-24T22:00:00Z', '2026-10-25', 'midnight CEST of the night the clocks go back'],
    ['2026-10-25T22:59:59Z', '2026-10-25', 'the 25-hour day lasts until 23:00 UTC'],
    ['2026-10-25T23:00:00Z', '2026-10-26', 'midnight CET'],
    ['2026-12-31T23:00:00Z', '2027-01-01', 'New Year in Denmark comes an hour before UTC'],
  ];
  for (const [at, expected, why] of cases) t.equal(danishDate(new Date(at)), expected, `${at}: ${why}`);
});

t.test('the meeting pace holds to the end of shorter months', async (t) => {
  const cases: [string, number, string][] = [
    ['2026-01-31', 1, '2026-02-28'],
    ['2028-01-31', 1, '2028-02-29'],
    ['2026-01-31', 3, '2026-04-30'],
    ['2026-03-31', 2, '2026-05-31'],
    ['2026-08-31', 6, '2027-02-28'],
    ['2026-11-30', 3, '2027-02-28'],
    ['2026-12-15', 1, '2027-01-15'],
    ['2026-02-28', 12, '2027-02-28'],
    ['2028-02-29', 12, '2029-02-28'],
    ['2026-10-25', 1, '2026-11-25'],
    ['2026-03-29', 1, '2026-04-29'],
  ];
  for (const [from, months, expected] of cases)
    t.equal(addMonths(from, months), expected, `${from} + ${months} month(s)`);

  t.equal(nextMeetingDue(null, '2026-01-31', 3), '2026-04-30', 'without a meeting the pace counts from the start');
  t.equal(nextMeetingDue('2026-03-31', '2026-01-31', 3), '2026-06-30', 'otherwise from the last meeting held');
});

t.test('overdue and due soon are calendar days, whatever the clock does', async (t) => {
  // Due soon: today up to and including the number of days ahead.
  t.ok(isDueSoon('2026-03-29', '2026-03-28', 1), 'the day of the spring change is one day after the 28th');
  t.ok(isDueSoon('2026-10-26', '2026-10-25', 1), 'and the day after the 25-hour day is one day ahead');
  t.notOk(isDueSoon('2026-10-27', '2026-10-25', 1));
  t.ok(isDueSoon('2026-03-01', '2026-01-31', 29), 'across the end of February');
  t.notOk(isDueSoon('2026-03-02', '2026-01-31', 29));
  t.ok(isDueSoon('2026-11-22', '2026-11-22', 30), 'due today is due soon');
  t.notOk(isDueSoon('2026-11-21', '2026-11-22', 30), 'yesterday is not due soon: it is overdue');

  t.notOk(isOverdue('2026-11-22', '2026-11-22'), 'due today is not yet overdue');
  t.ok(isOverdue('2026-11-21', '2026-11-22'));
  t.ok(isOverdue('2026-02-28', '2026-03-01'), 'the last day of February passes at the end of it');
  // At 00:30 on 1 April in Denmark a report due 31 March is overdue, though UTC still says 31 March.
  t.ok(isOverdue('2026-03-31', danishDate(new Date('2026-03-31T22:30:00Z'))));

  t.equal(daysBetween('2026-03-28', '2026-03-30'), 2, 'the 23-hour day is a whole day');
  t.equal(daysBetween('2026-10-24', '2026-10-26'), 2, 'so is the 25-hour day');
  t.equal(addDays('2026-03-28', 1), '2026-03-29');
  t.equal(addDays('2026-10-25', 1), '2026-10-26');
  t.equal(addDays('2028-02-28', 1), '2028-02-29');
  t.equal(addDays('2026-12-31', 1), '2027-01-01');
});

t.test('ISO weeks, including a year with week 53', async (t) => {
  t.equal(isoWeek('2026-11-22'), '2026-W47');
  t.equal(isoWeek('2026-12-31'), '2026-W53');
  t.equal(isoWeek('2027-01-03'), '2026-W53', 'the first days of 2027 belong to week 53 of 2026');
  t.equal(isoWeek('2027-01-04'), '2027-W01');
  t.equal(isoWeek('2024-12-30'), '2025-W01', 'and the last days of 2024 to week 1 of 2025');
  t.equal(mondayOfIsoWeek('2026-W53'), '2026-12-28');
  t.equal(mondayOfIsoWeek('2027-W01'), '2027-01-04');
  t.equal(mondayOfIsoWeek('2026-W13'), '2026-03-23', 'the week of the spring change');
  t.equal(isoWeekday('2026-11-22'), 7, 'Sunday is 7');
  t.equal(isoWeekday('2026-11-23'), 1, 'Monday is 1');
  t.ok(isIsoDate('2028-02-29'));
  t.notOk(isIsoDate('2026-02-29'));
  t.notOk(isIsoDate('2026-13-01'));
});

t.test('properties: addMonths against a reference, addDays and daysBetween agree', async () => {
  const day = fc
    .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  fc.assert(
    fc.property(day, fc.integer({ min: -400, max: 400 }), (d, n) => {
      const later = addDays(d, n);
      return daysBetween(d, later) === n && isIsoDate(later);
    }),
    { seed: 20261122, numRuns: 2000 },
  );
  fc.assert(
    fc.property(day, fc.integer({ min: 0, max: 120 }), (d, n) => {
      const result = addMonths(d, n);
      const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
      const target = new Date(Date.UTC(y, m - 1 + n, 1));
      const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
      const expected = `${target.getUTCFullYear()}-${String(target.getUTCMonth() + 1).padStart(2, '0')}-${String(Math.min(dd, lastDay)).padStart(2, '0')}`;
      return result === expected && monday(isoWeek(result)) <= result;
    }),
    { seed: 20261122, numRuns: 2000 },
  );
  function monday(week: string) {
    return mondayOfIsoWeek(week);
  }
});

t.test('one parser reads the dates Danes type, and only real calendar dates', async (t) => {
  const valid: [string, string][] = [
    ['1.12.2026', '2026-12-01'],
    ['01.12.2026', '2026-12-01'],
    ['1.2.2026', '2026-02-01'],
    ['01.02.2026', '2026-02-01'],
    ['31.12.2026', '2026-12-31'],
    ['1-12-2026', '2026-12-01'],
    ['01-12-2026', '2026-12-01'],
    ['1/12/2026', '2026-12-01'],
    ['29.2.2028', '2028-02-29'],
    ['29.02.2000', '2000-02-29'],
    ['30.4.2026', '2026-04-30'],
    ['2026-12-01', '2026-12-01'],
    ['2028-02-29', '2028-02-29'],
    ['  22.11.2026 ', '2026-11-22'],
  ];
  for (const [input, iso] of valid) t.equal(parseDanishDate(input), iso, input);
  const invalid = [
    '29.2.2026', // not a leap year
    '29.02.2027',
    '29.2.1900', // a century that is not a leap year
    '2026-02-29',
    '31.4.2026',
    '31.04.2026',
    '31.6.2026',
    '32.1.2026',
    '0.1.2026',
    '1.0.2026',
    '1.13.2026',
    '2026-13-01',
    '2026-04-31',
    '2026-1-5',
    '1.12.26', // a two-digit year is not guessed
    '001.12.2026',
    '1.12.2026.',
    '1 12 2026',
    '12/1/2026x',
    '',
    'i morgen',
  ];
  for (const input of invalid) t.equal(parseDanishDate(input), undefined, input);
  t.equal(parseDanishDate('1.12-2026'), '2026-12-01', 'the separators are not held to one kind');
});
