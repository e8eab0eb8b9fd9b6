import { translate } from '../../i18n/index.ts';
import { formatMoney } from '../../lib/money.ts';
import type { ImportProblem } from './imports.schemas.ts';

/**
 * A problem in the user's language: "Linje 4, kolonne CVR: …". The page, the API and the CSV say it
 * alike. Amounts (params in øre, named …Ore) are shown as kroner.
 */
export function problemText(locale: string, p: ImportProblem): string {
  const params = Object.entries(p.params ?? {}).map(([k, v]) =>
    k.endsWith('Ore') ? [k, formatMoney(v, locale as 'da')] : [k, v],
  );
  return translate(locale as 'da', p.message, { value: p.value ?? '', ...Object.fromEntries(params) });
}
