import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { assertMayReadMail } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import {
  claimDueMails,
  listMails,
  type MailRow,
  markMailFailed,
  markMailRetry,
  markMailSent,
  nextMailDueInMs,
  releaseMails,
} from './mail.repository.ts';
import type { MailTransport } from './mail.transport.ts';

/** Temporary failures are tried again for this long after the mail was queued; then it is given up. */
const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
const BATCH = 20;

export type MailService = ReturnType<typeof createMailService>;

export function createMailService(db: Db, config: Config) {
  /** The wait before try number `attempt + 1`: the base, doubled each time, at most an hour. */
  const backoffMs = (attempt: number) => Math.min(config.mail.retryBaseMs * 2 ** (attempt - 1), 3_600_000);

  async function deliverOne(transport: MailTransport, mail: MailRow): Promise<'sent' | 'retry' | 'failed'> {
    const outcome = await transport.send({
      messageId: mail.messageId,
      from: config.mail.from,
      to: mail.recipient,
      subject: mail.subject,
      text: mail.textBody ?? '',
      html: mail.htmlBody ?? '',
      headers: mail.headers,
      date: mail.createdAt,
    });
    if (outcome.ok) {
      await markMailSent(db, mail.id);
      return 'sent';
    }
    const wait = backoffMs(mail.attempts);
    if (outcome.permanent || Date.now() + wait - mail.createdAt.getTime() > GIVE_UP_AFTER_MS) {
      await markMailFailed(db, mail.id, outcome.error);
      return 'failed';
    }
    await markMailRetry(db, mail.id, wait / 1000, outcome.error);
    return 'retry';
  }

  return {
    /**
     * Sends what is due, a batch at a time, until nothing is due or `stop()` says so. Mails claimed
     * but not tried when it stops are let go at once, for the next start or another process.
     */
    async deliverDue(
      transport: MailTransport,
      stop: () => boolean,
    ): Promise<{ sent: number; retry: number; failed: number }> {
      const counts = { sent: 0, retry: 0, failed: 0 };
      for (;;) {
        const batch = await claimDueMails(db, BATCH, config.mail.leaseSeconds);
        if (!batch.length) return counts;
        for (const [i, mail] of batch.entries()) {
          if (stop()) {
            await releaseMails(
              db,
              batch.slice(i).map((m) => m.id),
            );
            return counts;
          }
          counts[await deliverOne(transport, mail)]++;
        }
      }
    },
    /** How long until the next queued mail is due (null: nothing queued). */
    nextDueInMs: () => nextMailDueInMs(db),
    /** The mail page: an admin's own municipality's mails. */
    async list(principal: Principal, filter: { status?: MailRow['status']; limit: number; offset: number }) {
      assertMayReadMail(principal);
      return listMails(db, principal.municipalityCode, filter);
    },
  };
}
