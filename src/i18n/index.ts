import { formatNumber, type Locale } from '../lib/format.ts';
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
  return fillIn(text, all, locale);
}

const pluralRules = { da: new Intl.PluralRules('da-DK'), en: new Intl.PluralRules('en-GB') };

/**
 * The plural category of a count. A whole number is "one" when it is 1 or -1 and "other" otherwise,
 * in Danish and in English alike (CLDR); the rest (1,5 is "one" in Danish) is Intl's to say. Asked
 * here first because Intl.PluralRules took about a microsecond a count, and a report page asks ~65
 * times (issue 17); the tests hold it to Intl.
 */
export function pluralCategory(n: number, locale: Locale): string {
  if (Number.isSafeInteger(n)) return n === 1 || n === -1 ? 'one' : 'other';
  return pluralRules[locale].select(n);
}

/** A count given as a number, or as the number the page already formatted ("1.234" in Danish). */
function countOf(value: string | number, locale: Locale): number {
  if (typeof value === 'number') return value;
  const plain = locale === 'da' ? value.replace(/\./g, '').replace(',', '.') : value.replace(/,/g, '');
  return Number(plain.replace(/[^\d.-]/g, ''));
}

/** The index of the brace that closes the one at `open`, or -1. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * The forms of each plural choice, read once: the catalogue's choices are few, and a page asks for
 * them often (a report page hundreds of times). Bounded, in case a choice is ever built from data.
 */
const formsOfChoice = new Map<string, Map<string, string>>();
const MAX_KEPT_CHOICES = 2000;

function pluralForms(options: string): Map<string, string> {
  const known = formsOfChoice.get(options);
  if (known) return known;
  const forms = new Map<string, string>();
  const option = /\s*(=?[\w-]+)\s*\{/y;
  let i = 0;
  while (i < options.length) {
    option.lastIndex = i;
    const m = option.exec(options);
    if (!m?.[1]) break;
    const open = option.lastIndex - 1;
    const end = closing(options, open);
    if (end < 0) break;
    forms.set(m[1], options.slice(open + 1, end));
    i = end + 1;
  }
  if (formsOfChoice.size < MAX_KEPT_CHOICES) formsOfChoice.set(options, forms);
  return forms;
}

/**
 * One plural choice, as ICU writes it: `{count, plural, one {# bevilling} other {# bevillinger}}`.
 * `=0` picks an exact count first; otherwise Intl.PluralRules picks the category, and `#` is the count.
 */
function plural(options: string, value: string | number, locale: Locale, all: Record<string, string | number>) {
  const n = countOf(value, locale);
  const forms = pluralForms(options);
  const form = forms.get(`=${n}`) ?? forms.get(pluralCategory(n, locale)) ?? forms.get('other') ?? '';
  const shown = typeof value === 'number' ? formatNumber(value, locale) : value;
  const filled = form.includes('#') ? form.replace(/#/g, shown) : form;
  return filled.includes('{') ? fillIn(filled, all, locale) : filled;
}

/**
 * A message read once: its text between braces as it is, and each brace as what fills it in. A
 * brace that names no parameter given, or that is neither a name nor a plural choice, is shown as it
 * is written.
 */
type Part =
  | string
  | { name: string; raw: string; money: boolean; sentenceEnds: boolean }
  | { name: string; raw: string; choice: string }
  | { raw: string };

const partsOfMessage = new Map<string, Part[]>();
/** Bounded, as the plural forms are: a message with a count filled in before its braces is text of its own. */
const MAX_KEPT_MESSAGES = 5000;

function partsOf(text: string): Part[] {
  const known = partsOfMessage.get(text);
  if (known) return known;
  const parts: Part[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0) break;
    const end = closing(text, open);
    if (end < 0) break;
    if (open > i) parts.push(text.slice(i, open));
    const inner = text.slice(open + 1, end);
    const raw = text.slice(open, end + 1);
    const choice = /^\s*(\w+)\s*,\s*plural\s*,([\s\S]*)$/.exec(inner);
    const simple = /^(\w+)(:money)?$/.exec(inner);
    if (choice?.[1] !== undefined && choice[2] !== undefined) parts.push({ name: choice[1], raw, choice: choice[2] });
    else if (simple?.[1] !== undefined)
      parts.push({ name: simple[1], raw, money: simple[2] !== undefined, sentenceEnds: text[end + 1] === '.' });
    else parts.push({ raw });
    i = end + 1;
  }
  if (i < text.length) parts.push(text.slice(i));
  if (partsOfMessage.size < MAX_KEPT_MESSAGES) partsOfMessage.set(text, parts);
  return parts;
}

/** Fills in {name} placeholders and {name, plural, …} choices. */
function fillIn(text: string, all: Record<string, string | number>, locale: Locale): string {
  let out = '';
  for (const part of partsOf(text)) {
    if (typeof part === 'string') out += part;
    else if (!('name' in part)) out += part.raw;
    else {
      const value = all[part.name];
      if (value === undefined) out += part.raw;
      else if ('choice' in part) out += plural(part.choice, value, locale, all);
      else out += part.money ? moneyText(String(value), locale, part.sentenceEnds) : String(value);
    }
  }
  return out;
}

/** `{name:money}`: øre as kroner; "kr." ends a sentence with its own full stop. */
function moneyText(value: string, locale: Locale, sentenceEnds: boolean): string {
  if (!/^-?\d+$/.test(value)) return value;
  const kroner = formatMoney(value, locale);
  return kroner.endsWith('.') && sentenceEnds ? kroner.slice(0, -1) : kroner;
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
