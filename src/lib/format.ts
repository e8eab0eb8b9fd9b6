export type Locale = 'da' | 'en';

/** A target group's name in the locale: the English where it has one, else the Danish. */
export function groupName(group: { nameDa: string; nameEn: string | null }, locale: Locale): string {
  return locale === 'en' ? (group.nameEn ?? group.nameDa) : group.nameDa;
}

// Intl formatters are costly to make: one of each, made once.
const day = { timeZone: 'Europe/Copenhagen', day: '2-digit', month: '2-digit', year: 'numeric' } as const;
/** 22.11.2026 and 22/11/2026: the two languages' own day formats, as they come. */
const dayFormats = { da: new Intl.DateTimeFormat('da-DK', day), en: new Intl.DateTimeFormat('en-GB', day) };
const timeFormat = new Intl.DateTimeFormat('da-DK', {
  timeZone: 'Europe/Copenhagen',
  hour: '2-digit',
  minute: '2-digit',
});

/** Digits in groups of three from the right, as both locales group whole numbers (a dot, a comma). */
export function grouped(digits: string, separator: string): string {
  const first = digits.length % 3 || 3;
  let out = digits.slice(0, first);
  for (let i = first; i < digits.length; i += 3) out += separator + digits.slice(i, i + 3);
  return out;
}

const marks = { da: { group: '.', decimal: ',' }, en: { group: ',', decimal: '.' } } as const;

/** The digits of whole and fraction with one added in the fraction's last place, carrying leftwards. */
function roundedUp(whole: string, fraction: string): [string, string] {
  const digits = whole + fraction;
  let i = digits.length - 1;
  while (i >= 0 && digits.charCodeAt(i) === 57) i--; // '9'
  const head = i < 0 ? '1' : digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1);
  const all = head + '0'.repeat(digits.length - 1 - i);
  const cut = all.length - fraction.length;
  return [all.slice(0, cut), all.slice(cut)];
}

/**
 * A number with at least `min` and at most `max` decimals, as Intl.NumberFormat writes it for da-DK
 * and en-GB (1234.56 → "1.234,6" and "1,234.6" with one decimal), or null for what is left to Intl
 * (a number JavaScript writes with an exponent, and NaN and the infinities). Like ICU, it rounds the
 * number's shortest decimal form half away from zero: 1.005 is "1,01" with two decimals, where
 * `toFixed` gives "1.00". Written here because ICU took 0.5–0.9 µs a number, and a report page
 * formats over 200 of them (issue 17); the tests hold it to Intl.
 */
function decimalText(n: number, locale: Locale, min: number, max: number): string | null {
  if (!Number.isFinite(n)) return null;
  const text = String(n < 0 ? -n : n);
  if (text.includes('e')) return null;
  const dot = text.indexOf('.');
  let whole = dot < 0 ? text : text.slice(0, dot);
  let fraction = dot < 0 ? '' : text.slice(dot + 1);
  if (fraction.length > max) {
    const up = fraction.charCodeAt(max) >= 53; // '5' or more: away from zero
    fraction = fraction.slice(0, max);
    if (up) [whole, fraction] = roundedUp(whole, fraction);
  }
  let end = fraction.length;
  while (end > min && fraction.charCodeAt(end - 1) === 48) end--; // '0'
  if (end < fraction.length) fraction = fraction.slice(0, end);
  else if (fraction.length < min) fraction = fraction.padEnd(min, '0');
  // A negative number keeps its sign when it rounds to nothing ("-0"), as Intl writes it.
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  const { group, decimal } = marks[locale];
  const digits = whole.length > 3 ? grouped(whole, group) : whole;
  return fraction ? `${sign}${digits}${decimal}${fraction}` : sign + digits;
}

/** Formatters for a number of decimals: written here where they can be, else by Intl (made once). */
export function decimals(locale: Locale, min: number, max: number): (n: number) => string {
  const intl = new Intl.NumberFormat(locale === 'da' ? 'da-DK' : 'en-GB', {
    minimumFractionDigits: min,
    maximumFractionDigits: max,
  });
  return (n) => decimalText(n, locale, min, max) ?? intl.format(n);
}

/** Intl.NumberFormat's default: grouped, with at most three decimals. */
const numberFormats = { da: decimals('da', 0, 3), en: decimals('en', 0, 3) };

/** As Intl.NumberFormat writes a number by default: grouped, with at most three decimals. */
export function formatNumber(n: number, locale: Locale = 'da'): string {
  return numberFormats[locale](n);
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Copenhagen's offset from UTC in milliseconds at an instant, as Intl reads it from the time zone data. */
const copenhagenParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Copenhagen',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
});
function offsetAt(ms: number): number {
  const part: Record<string, number> = {};
  for (const p of copenhagenParts.formatToParts(ms)) if (p.type !== 'literal') part[p.type] = Number(p.value);
  const local = Date.UTC(part.year ?? 0, (part.month ?? 1) - 1, part.day, part.hour, part.minute, part.second);
  return local - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * Copenhagen's offset for each UTC day asked about, and on a day the clocks change for each hour of
 * it: read from Intl once and kept, with NaN for a span whose first and last millisecond differ (so
 * the hour in which the clocks change is asked of Intl every time). Intl took 1–2 µs for each
 * timestamp a page shows, and a list shows one a row (issue 17).
 */
const offsetOfDay = new Map<number, number>();
const offsetOfHour = new Map<number, number>();
const MAX_KEPT_SPANS = 20_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The offset over the span of `length` that holds `ms`, or NaN when it changes within it. */
function steadyOffset(kept: Map<number, number>, length: number, ms: number): number {
  const span = Math.floor(ms / length);
  let offset = kept.get(span);
  if (offset === undefined) {
    const first = offsetAt(span * length);
    offset = first === offsetAt(span * length + length - 1) ? first : Number.NaN;
    if (kept.size >= MAX_KEPT_SPANS) kept.clear();
    kept.set(span, offset);
  }
  return offset;
}

/** The instant as Copenhagen's wall clock reads it (in a Date's UTC fields), or null when left to Intl. */
function copenhagenClock(date: Date): Date | null {
  const ms = date.getTime();
  // Four-digit years only: Intl writes other years in ways not copied here.
  if (!(ms >= -2_208_988_800_000 && ms < 32_503_680_000_000)) return null;
  let offset = steadyOffset(offsetOfDay, DAY, ms);
  if (Number.isNaN(offset)) offset = steadyOffset(offsetOfHour, HOUR, ms);
  return Number.isNaN(offset) ? null : new Date(ms + offset);
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

const dayMark = (locale: Locale) => (locale === 'da' ? '.' : '/');

/** The day of an instant in Danish time; `clock` is its wall clock (copenhagenClock), null to ask Intl. */
function dayOf(date: Date, clock: Date | null, locale: Locale): string {
  if (!clock) return dayFormats[locale].format(date);
  const mark = dayMark(locale);
  return `${two(clock.getUTCDate())}${mark}${two(clock.getUTCMonth() + 1)}${mark}${clock.getUTCFullYear()}`;
}

/** Formats a date as 22.11.2026 in Danish and 22/11/2026 in English, in Danish time. */
export function formatDate(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  // A calendar date is the same in every zone: no need to ask Intl.
  if (typeof d === 'string' && CALENDAR_DATE.test(d)) {
    const mark = dayMark(locale);
    return `${d.slice(8)}${mark}${d.slice(5, 7)}${mark}${d.slice(0, 4)}`;
  }
  // A template may hand over a timestamp as a number, which Intl took too.
  const date = d instanceof Date ? d : new Date(d);
  return dayOf(date, copenhagenClock(date), locale);
}

export function formatDateTime(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  const date = d instanceof Date ? d : new Date(d);
  // The wall clock worked out once, for the day and the time both.
  const clock = copenhagenClock(date);
  const time = clock
    ? `${two(clock.getUTCHours())}:${two(clock.getUTCMinutes())}`
    : timeFormat.format(date).replace('.', ':');
  return `${dayOf(date, clock, locale)} ${locale === 'da' ? 'kl. ' : ''}${time}`;
}
