import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

/** One mail as the transport sends it. */
interface OutgoingMail {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  date: Date;
}

/** How a try ended: delivered, worth trying again (4xx, no connection), or never going to work (5xx). */
type Delivery = { ok: true } | { ok: false; permanent: boolean; error: string };

export interface MailTransport {
  /** Where mail goes, for the start-up log: an SMTP host, or the folder of .eml files. */
  readonly description: string;
  send(mail: OutgoingMail): Promise<Delivery>;
  close(): void;
}

/** The mail as nodemailer takes it: the Message-ID and date fixed when it was queued. */
const message = (mail: OutgoingMail) => ({
  messageId: mail.messageId,
  from: mail.from,
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  html: mail.html,
  headers: mail.headers,
  date: mail.date,
});

/** An SMTP reply code, if the error carries one (nodemailer puts it on `responseCode`). */
function replyCode(err: unknown): number | undefined {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' ? code : undefined;
}

/** The error for the mail page and the log: the server's reply, never the mail's content. */
function describe(err: unknown): string {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const text = e.response ?? e.message ?? String(err);
  return [e.code, text.replace(/\s+/g, ' ').slice(0, 300)].filter(Boolean).join(': ');
}

/**
 * SMTP through nodemailer, from SMTP_URL (smtp:// or smtps://, user and password in the address).
 * One connection is kept open and reused for the next mail (the sender sends one at a time), instead
 * of a connection, greeting and sign-in per mail (bench/MAIL.md); `?pool=false` in SMTP_URL turns
 * that off. A try ends within the timeouts, well inside the sender's lease (MAIL_LEASE_SECONDS,
 * 120 s by default), so no other process takes a mail over while it is still being sent.
 */
export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 1,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  const host = new URL(url);
  return {
    description: `${host.protocol}//${host.hostname}:${host.port || (host.protocol === 'smtps:' ? 465 : 587)}`,
    async send(mail) {
      try {
        await transporter.sendMail(message(mail));
        return { ok: true };
      } catch (err) {
        const code = replyCode(err);
        return { ok: false, permanent: code !== undefined && code >= 500 && code < 600, error: describe(err) };
      }
    },
    close: () => transporter.close(),
  };
}

/**
 * Without SMTP_URL: each mail is written as an .eml file (named by its Message-ID, so a resend
 * writes the same file) under `dir`, and nothing is sent.
 */
export function fileTransport(dir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: dir,
    async send(mail) {
      try {
        const info = await transporter.sendMail(message(mail));
        await mkdir(dir, { recursive: true });
        const name = `${mail.date.toISOString().replace(/[:.]/g, '-')}-${createHash('sha256').update(mail.messageId).digest('hex').slice(0, 12)}.eml`;
        const partial = join(dir, `.${name}.partial`);
        await writeFile(partial, info.message as Buffer);
        await rename(partial, join(dir, name));
        return { ok: true };
      } catch (err) {
        return { ok: false, permanent: false, error: describe(err) };
      }
    },
    close: () => transporter.close(),
  };
}
