export type Locale = 'da' | 'en';

const intlLocale = (locale: Locale) => (locale === 'da' ? 'da-DK' : 'en-GB');

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
