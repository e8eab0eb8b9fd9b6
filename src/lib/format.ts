export type Locale = 'da' | 'en';

/** A target group's name in the locale: the English where it has one, else the Danish. */
export function groupName(group: { nameDa: string; nameEn: string | null }, locale: Locale): string {
  return locale === 'en' ? (group.nameEn ?? group.nameDa) : group.nameDa;
}

// Intl formatters are costly to make: one of each, made once.
const numberFormats = { da: new Intl.NumberFormat('da-DK'), en: new Intl.NumberFormat('en-GB') };
const day = { timeZone: 'Europe/Copenhagen', day: '2-digit', month: '2-digit', year: 'numeric' } as const;
/** 22.11.2026 and 22/11/2026: the two languages' own day formats, as they come. */
const dayFormats = { da: new Intl.DateTimeFormat('da-DK', day), en: new Intl.DateTimeFormat('en-GB', day) };
const timeFormat = new Intl.DateTimeFormat('da-DK', {
  timeZone: 'Europe/Copenhagen',
  hour: '2-digit',
  minute: '2-digit',
});

export function formatNumber(n: number, locale: Locale = 'da'): string {
  return numberFormats[locale].format(n);
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Formats a date as 22.11.2026 in Danish and 22/11/2026 in English, in Danish time. */
export function formatDate(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  // A calendar date is the same in every zone: no need to ask Intl.
  if (typeof d === 'string' && CALENDAR_DATE.test(d)) {
    const mark = locale === 'da' ? '.' : '/';
    return `${d.slice(8)}${mark}${d.slice(5, 7)}${mark}${d.slice(0, 4)}`;
  }
  return dayFormats[locale].format(typeof d === 'string' ? new Date(d) : d);
}

export function formatDateTime(d: Date | string | null | undefined, locale: Locale = 'da'): string {
  if (d === null || d === undefined || d === '') return '';
  const date = typeof d === 'string' ? new Date(d) : d;
  const time = timeFormat.format(date);
  return `${formatDate(date, locale)} ${locale === 'da' ? 'kl. ' : ''}${time.replace('.', ':')}`;
}
