/** The weights of the CVR modulus-11 check. */
const WEIGHTS = [2, 7, 6, 5, 4, 3, 2, 1] as const;

/** Strips the spaces and the "DK" prefix people paste along with a CVR number. */
export function normaliseCvr(input: string): string {
  return input.replace(/\s+/g, '').replace(/^DK/i, '');
}

export function isEightDigits(cvr: string): boolean {
  return /^\d{8}$/.test(cvr);
}

/** True when an 8-digit CVR number passes the modulus-11 check (weighted sum divisible by 11). */
export function passesModulus11(cvr: string): boolean {
  if (!isEightDigits(cvr)) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(cvr[i]) * (WEIGHTS[i] as number);
  return sum % 11 === 0;
}
