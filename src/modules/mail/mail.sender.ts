import type { FastifyBaseLogger } from 'fastify';
import type { MailService } from './mail.service.ts';
import type { MailTransport } from './mail.transport.ts';

/**
 * Sends queued mail in the background: at start (a crash's unsent mail included), when kicked after
 * a commit that queued mail, when a retry falls due, and every `pollMs` for mail another process
 * queued. One pass at a time in this process; other processes claim other rows.
 */
export function createMailSender(
  mail: MailService,
  transport: MailTransport,
  log: FastifyBaseLogger,
  options: { pollMs: number },
) {
  let active: Promise<void> | null = null;
  let again = false;
  let closing = false;
  let timer: NodeJS.Timeout | null = null;

  function schedule(ms: number) {
    if (closing) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => sender.kick(), Math.max(10, Math.min(ms, options.pollMs)));
    timer.unref();
  }

  async function pass() {
    const counts = await mail.deliverDue(transport, () => closing);
    if (counts.sent || counts.retry || counts.failed) log.info(counts, 'mail sent');
    if (counts.failed) log.warn({ failed: counts.failed }, 'mail could not be delivered; see /admin/mail');
    const next = await mail.nextDueInMs();
    schedule(next ?? options.pollMs);
  }

  const sender = {
    kick(): void {
      if (closing) return;
      if (active) {
        again = true;
        return;
      }
      active = pass()
        .catch((err) => {
          if (!closing) log.error({ err }, 'mail sender pass failed');
          schedule(options.pollMs);
        })
        .finally(() => {
          active = null;
          if (again && !closing) {
            again = false;
            sender.kick();
          }
        });
    },
    /** Resolves when no pass is running (tests). */
    async idle(): Promise<void> {
      while (active) await active;
    },
    /** Stops after the mail being sent; the rest stays queued. */
    async close(): Promise<void> {
      closing = true;
      if (timer) clearTimeout(timer);
      await sender.idle();
      transport.close();
    },
  };
  return sender;
}

export type MailSender = ReturnType<typeof createMailSender>;
