import type { Locale } from '../lib/format.ts';
import { formatMoney } from '../lib/money.ts';
import { da } from './da.ts';
import { en } from './en.ts';

export type MessageKey = keyof typeof da;
const catalogues: Record<Locale, Record<MessageKey, string>> = { da, en };

/**
 * Looks a key up in the catalogue and fills in {name} placeholders ({name:money} formats øre as
 * kroner). A key may carry its parameters after '?', as zod messages do: 'validation.tooLong?maximum=200'.
 */
export function translate(locale: Locale, key: string, params: Record<string, string | number> = {}): string {
  let base = key;
  let all = params;
  const q = key.indexOf('?');
  if (q > 0) {
    base = key.slice(0, q);
    all = { ...Object.fromEntries(new URLSearchParams(key.slice(q + 1))), ...params };
  }
  const text = (catalogues[locale] as Record<string, string>)[base];
  if (text === undefined) return key;
  if (!text.includes('{')) return text;
  return text.replace(/\{(\w+)(:money)?\}/g, (m, name: string, money: string | undefined, at: number) => {
    if (!(name in all)) return m;
    const value = String(all[name]);
    if (!money || !/^-?\d+$/.test(value)) return value;
    const kroner = formatMoney(value, locale);
    // "kr." ends a sentence with its own full stop.
    return kroner.endsWith('.') && text[at + m.length] === '.' ? kroner.slice(0, -1) : kroner;
  });
}

export function isLocale(v: unknown): v is Locale {
  return v === 'da' || v === 'en';
}

/** Field errors (catalogue keys per field) in the reader's language. */
export function translateFieldErrors(
  locale: Locale,
  errors: Record<string, string[]> | undefined,
): Record<string, string[]> | undefined {
  if (!errors) return undefined;
  return Object.fromEntries(
    Object.entries(errors).map(([field, keys]) => [field, keys.map((k) => translate(locale, k))]),
  );
}
