import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Test } from 'tap';

interface SmtpOptions {
  /** Refuses the mail numbered `n` (from 1) with this SMTP code; undefined accepts it. */
  answer?: (n: number) => number | undefined;
  /** Runs before a mail's DATA is answered: a test holds the answer, or never gives it. */
  hold?: (session: SMTPServerSession) => Promise<void>;
  /** false: keep only the Message-ID of each mail, not the parsed mail (many mails, little CPU). */
  parse?: boolean;
}

/**
 * A real SMTP server in the test process (the smtp-server package), on a free loopback port. It
 * keeps every mail it accepts, parsed by mailparser, and the Message-ID and the signed-in user
 * (any user and password are taken, so two clients can be told apart) of each; `answer` may refuse
 * a mail with an SMTP code.
 */
export async function startSmtpServer(t: Test | undefined, options: SmtpOptions = {}) {
  const received: ParsedMail[] = [];
  const messageIds: string[] = [];
  const users: string[] = [];
  let tries = 0;
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    hideSTARTTLS: true,
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        tries++;
        await options.hold?.(session);
        const code = options.answer?.(tries);
        if (code) {
          const err = new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later') as Error & {
            responseCode: number;
          };
          err.responseCode = code;
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks);
        const head = raw.subarray(0, Math.max(0, raw.indexOf('\r\n\r\n'))).toString('latin1');
        messageIds.push(/^Message-ID:\s*(\S+)/im.exec(head)?.[1] ?? '');
        users.push(String(session.user ?? ''));
        if (options.parse === false) {
          callback();
          return;
        }
        simpleParser(raw)
          .then((mail) => {
            received.push(mail);
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  t?.teardown(close);
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** The address with a user, whom the server records for each mail that user sends. */
    urlAs: (user: string) => `smtp://${user}:x@127.0.0.1:${port}`,
    received,
    messageIds,
    users,
    tries: () => tries,
    close,
  };
}

/** Waits until `done()` holds; the test file's timeout bounds it, however slow the machine is. */
export async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((r) => setTimeout(r, 20));
}
