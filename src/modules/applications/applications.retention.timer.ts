import fp from 'fastify-plugin';
import { errorForLog } from '../../lib/log-errors.ts';
import { outsideStatementScope } from '../../lib/statement-scope.ts';

/**
 * The retention job's timer (applications.retention.ts): a run every `pollMs`, in the process that
 * sends mail (app.ts registers it only where MAIL_SENDER=on, as the digests' timer runs), off the
 * request path and unref'd. A run that finds nothing due is one statement.
 */
export const retentionTimer = fp(
  async (app, opts: { pollMs: number }) => {
    const timer = setInterval(() => {
      outsideStatementScope(() =>
        app.services.applicationRetention
          .eraseDue(new Date())
          .catch((err) => app.log.error({ err: errorForLog(err) }, 'application retention run failed')),
      );
    }, opts.pollMs);
    timer.unref();
    app.addHook('preClose', async () => clearInterval(timer));
  },
  { name: 'application-retention-timer' },
);
