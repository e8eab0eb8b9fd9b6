import type { Locale } from '../lib/format.ts';
import { da } from './da.ts';
import { en } from './en.ts';

export type MessageKey = keyof typeof da;
const catalogues: Record<Locale, Record<MessageKey, string>> = { da, en };

/**
 * Looks a key up in the catalogue and fills in {name} placeholders. A key may carry its
 * parameters after '?', as zod messages do: 'validation.tooLong?maximum=200'.
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
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in all ? String(all[name]) : m));
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
