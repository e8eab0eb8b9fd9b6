import { translate } from '../../i18n/index.ts';
import type { ImportProblem } from './imports.schemas.ts';

/** A problem in the user's language: "Linje 4, kolonne CVR: …". The page, the API and the CSV say it alike. */
export function problemText(locale: string, p: ImportProblem): string {
  return translate(locale as 'da', p.message, { value: p.value ?? '', ...(p.params ?? {}) });
}
