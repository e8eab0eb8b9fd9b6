export type Locale = 'da' | 'en';

const intlLocale = (locale: Locale) => (locale === 'da' ? 'da-DK' : 'en-GB');

/** Formats integer øre as kroner: 123456750 → "1.234.567,50 kr." in Danish. */
export function formatMoney(oere: number | bigint, locale: Locale = 'da'): string {
  const value = Number(oere) / 100;
  const n = new Intl.NumberFormat(intlLocale(locale), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(
    value,
  );
  return locale === 'da' ? `${n} kr.` : `DKK ${n}`;
}

/** Parses kroner as typed by a person ("1.234,50", "1234.5", "1 234") into integer øre, or null. */
export function parseKroner(input: string): number | null {
  const s = input.replace(/\s|kr\.?|dkk/gi, '');
  if (!/^-?[\d.,]+$/.test(s)) return null;
  let normalised: string;
  if (/,\d{1,2}$/.test(s)) normalised = s.replace(/\./g, '').replace(',', '.');
  else if (/\.\d{1,2}$/.test(s) && !/\.\d{3}/.test(s)) normalised = s.replace(/,/g, '');
  else normalised = s.replace(/[.,]/g, '');
  const value = Number(normalised);
  if (!Number.isFinite(value)) return null;
  const oere = Math.round(value * 100);
  return Number.isSafeInteger(oere) ? oere : null;
}

export function formatNumber(n: number, locale: Locale = 'da'): string {
  return new Intl.NumberFormat(intlLocale(locale)).format(n);
}

/** Formats a date as 22.11.2026 in Danish and 22/11/2026 in English, in Danish time. */
export function formatDate(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  const date = typeof d === 'string' ? new Date(d.length === 10 ? `${d}T12:00:00Z` : d) : d;
  const parts = new Intl.DateTimeFormat('da-DK', {
    timeZone: 'Europe/Copenhagen',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return locale === 'da'
    ? `${get('day')}.${get('month')}.${get('year')}`
    : `${get('day')}/${get('month')}/${get('year')}`;
}

export function formatDateTime(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  const date = typeof d === 'string' ? new Date(d) : d;
  const time = new Intl.DateTimeFormat('da-DK', {
    timeZone: 'Europe/Copenhagen',
    hour: '2-digit',
    minute: '2-digit',
  }).format(date);
  return `${formatDate(date, locale)} ${locale === 'da' ? 'kl. ' : ''}${time.replace('.', ':')}`;
}
