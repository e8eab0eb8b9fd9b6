import { z } from 'zod';
import type { Locale } from './format.ts';

/** The largest amount anyone may enter: 10^12 kr., in øre. */
export const MAX_OERE = 100_000_000_000_000n;

/**
 * Formats integer øre as kroner, exactly (integer arithmetic, no floating point):
 * 123456750 → "1.234.567,50 kr." in Danish, "DKK 1,234,567.50" in English.
 */
const KRONER_DA = new Intl.NumberFormat('da-DK');
const KRONER_EN = new Intl.NumberFormat('en-GB');

export function formatMoney(oere: number | bigint, locale: Locale = 'da'): string {
  const value = BigInt(oere);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const kroner = (locale === 'da' ? KRONER_DA : KRONER_EN).format(abs / 100n);
  const cents = String(abs % 100n).padStart(2, '0');
  const n = `${negative ? '-' : ''}${kroner}${locale === 'da' ? ',' : '.'}${cents}`;
  return locale === 'da' ? `${n} kr.` : `DKK ${n}`;
}

export type ParsedKroner = { ok: true; oere: bigint } | { ok: false; error: MoneyError };
export type MoneyError = 'money.required' | 'money.negative' | 'money.decimals' | 'money.tooLarge' | 'money.invalid';

/**
 * Reads kroner as a Danish user types them: "1.234,50", "1234,5", "1 234 kr.", "1234".
 * The decimal mark is the comma; a dot or a space only groups thousands (groups of three).
 * Refused: negative amounts, more than two decimals, more than 10^12 kr., and anything ambiguous
 * ("12.5", "1,234.50", "12.34.5").
 */
export function parseKroner(input: string): ParsedKroner {
  let s = input
    .normalize('NFKC')
    .trim()
    .replace(/\s*(kr\.?|dkk)$/i, '')
    .replace(/^(dkk)\s*/i, '')
    .trim();
  if (s === '') return { ok: false, error: 'money.required' };
  if (/^[-−–]/.test(s)) return { ok: false, error: 'money.negative' };
  if (s.startsWith('+')) s = s.slice(1);
  const m = /^(\d{1,3}(?:[. ]\d{3})+|\d+)(?:,(\d+))?$/.exec(s);
  if (!m) return { ok: false, error: 'money.invalid' };
  const whole = (m[1] ?? '').replace(/[. ]/g, '');
  // Groups must all use the same separator: "1.234 567" is ambiguous.
  if (/\./.test(m[1] ?? '') && / /.test(m[1] ?? '')) return { ok: false, error: 'money.invalid' };
  const decimals = m[2] ?? '';
  if (decimals.length > 2) return { ok: false, error: 'money.decimals' };
  const oere = BigInt(whole) * 100n + BigInt(decimals.padEnd(2, '0') || '0');
  if (oere > MAX_OERE) return { ok: false, error: 'money.tooLarge' };
  return { ok: true, oere };
}

/** A form field of kroner, as typed, into integer øre (as a number: 10^12 kr. fits exactly). */
export const kronerInput = z.string().transform((value, ctx) => {
  const parsed = parseKroner(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return Number(parsed.oere);
});

/** Øre as a plain decimal-comma number for spreadsheets: 123450 → "1234,50". */
export function oereAsDecimal(oere: number | bigint): string {
  const v = BigInt(oere);
  const abs = v < 0n ? -v : v;
  return `${v < 0n ? '-' : ''}${abs / 100n},${String(abs % 100n).padStart(2, '0')}`;
}
