import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Queryable } from '../../db/client.ts';
import { translate } from '../../i18n/index.ts';
import type { Locale } from '../../lib/format.ts';
import { escapeHtml, latin1Templates } from '../../lib/html.ts';
import { insertMail, type MailRow } from './mail.repository.ts';

const viewsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'views');
/** HTML bodies are escaped as pages are; plain-text bodies are not escaped at all. */
const html = new Eta({
  views: viewsDir,
  autoEscape: true,
  escapeFunction: escapeHtml,
  autoTrim: [false, 'nl'],
  plugins: [latin1Templates],
  cache: true,
});
const text = new Eta({ views: viewsDir, autoEscape: false, autoTrim: [false, 'nl'], cache: true });

/** What a mail template gets besides its own data. */
export interface MailContext {
  /** The app's address as its users reach it (PUBLIC_URL), without a trailing slash. */
  publicUrl: string;
  from: string;
}

export interface MailToQueue {
  /** The template pair views/mail/<kind>.txt.eta and .html.eta, and the subject `mail.<kind>.subject`. */
  kind: string;
  to: string;
  userId?: number | null;
  /** Whose admins see the mail on their mail page. */
  municipalityCode?: number | null;
  locale: Locale;
  data: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * Renders a mail in the recipient's language and queues it in the caller's transaction: the
 * change and its mail are committed together, or neither is.
 */
export async function queueMail(db: Queryable, context: MailContext, mail: MailToQueue): Promise<MailRow> {
  const t = (key: string, params?: Record<string, string | number>) => translate(mail.locale, key, params);
  const it = { ...mail.data, t, locale: mail.locale, publicUrl: context.publicUrl };
  const subject = t(`mail.${mail.kind}.subject`, stringParams(mail.data));
  const body = {
    text: text.render(`mail/${mail.kind}.txt.eta`, it),
    html: html.render('mail/_layout.html.eta', { ...it, subject, body: html.render(`mail/${mail.kind}.html.eta`, it) }),
  };
  const host = new URL(context.publicUrl).hostname || 'samspil.localhost';
  return insertMail(db, {
    messageId: `<${randomUUID()}@${host}>`,
    kind: mail.kind,
    recipient: mail.to,
    userId: mail.userId ?? null,
    municipalityCode: mail.municipalityCode ?? null,
    subject,
    textBody: body.text,
    htmlBody: body.html,
    headers: mail.headers ?? {},
  });
}

function stringParams(data: Record<string, unknown>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}
