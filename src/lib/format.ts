export type Locale = 'da' | 'en';

// Intl formatters are costly to make: one of each, made once.
const numberFormats = { da: new Intl.NumberFormat('da-DK'), en: new Intl.NumberFormat('en-GB') };
const dayFormat = new Intl.DateTimeFormat('da-DK', {
  timeZone: 'Europe/Copenhagen',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});
const timeFormat = new Intl.DateTimeFormat('da-DK', {
  timeZone: 'Europe/Copenhagen',
  hour: '2-digit',
  minute: '2-digit',
});

export function formatNumber(n: number, locale: Locale = 'da'): string {
  return numberFormats[locale].format(n);
}

/** Formats a date as 22.11.2026 in Danish and 22/11/2026 in English, in Danish time. */
export function formatDate(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  const date = typeof d === 'string' ? new Date(d.length === 10 ? `${d}T12:00:00Z` : d) : d;
  // A calendar date is the same in every zone: no need to ask Intl.
  if (typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d)) {
    const [y, m, day] = d.split('-');
    return locale === 'da' ? `${day}.${m}.${y}` : `${day}/${m}/${y}`;
  }
  const parts = dayFormat.formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return locale === 'da'
    ? `${get('day')}.${get('month')}.${get('year')}`
    : `${get('day')}/${get('month')}/${get('year')}`;
}

export function formatDateTime(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  const date = typeof d === 'string' ? new Date(d) : d;
  const time = timeFormat.format(date);
  return `${formatDate(date, locale)} ${locale === 'da' ? 'kl. ' : ''}${time.replace('.', ':')}`;
}
