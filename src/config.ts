import { join, resolve } from 'node:path';
import { z } from 'zod';

/** How long one statement may run on PostgreSQL before it is cancelled (a request's; imports raise it). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
/** How long a transaction may sit idle between statements before PostgreSQL ends its session. */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * The app's PostgreSQL connections. Few: when every connection is busy, the next statements are
 * pipelined on one of them, the app writing several in one system call and the backend answering
 * them without sleeping in between. On two cores shared with PostgreSQL, 4 or 6 took 10–20 % off the
 * app's and PostgreSQL's CPU per page against 10; but a quick statement pipelined behind a slow one
 * waits for it, and with 4 the actor page served a quarter fewer requests beside two users reading
 * the national grant list (issue 17, bench/PAGE-COSTS.md). A larger database server may want more.
 */
export const DEFAULT_POOL_MAX = 6;

/** argon2id's default cost for password hashes (see PASSWORD_HASH_MEMORY_KIB). */
export const DEFAULT_PASSWORD_HASH = { memoryKib: 19_456, passes: 2 } as const;

/** The only reader of process.env. Parsed once, and start-up fails fast on bad values. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .url()
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DATA_DIR: z.string().min(1).default('./data'),
  /** PostgreSQL's statement_timeout and idle_in_transaction_session_timeout for the app's connections; 0 is no limit. */
  STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(DEFAULT_STATEMENT_TIMEOUT_MS),
  /** PostgreSQL connections the app's pool opens at most (see DEFAULT_POOL_MAX). */
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(100).default(DEFAULT_POOL_MAX),
  IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
  /** Idle and absolute session timeouts. */
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /** Set when the app is served over HTTPS (directly or behind a proxy): Secure cookies with the __Host- prefix. */
  HTTPS: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** Trust X-Forwarded-* from this proxy: 'true', a hop count, or addresses/CIDRs separated by commas. */
  TRUST_PROXY: z.string().default(''),
  /** Failed sign-ins allowed per 15 minutes, per account and per IP address. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
  /** A grant of at least this many kroner needs an auditor's endorsement of its accounts. */
  AUDITOR_THRESHOLD_KR: z.coerce.number().int().min(0).default(20_000),
  /** On SIGTERM: how long to keep serving (while /readyz says 503) before closing, so requests on their way are answered. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /**
   * argon2id's cost for new password hashes: memory in KiB and passes. The defaults are the library's
   * (and OWASP's first choice: 19 MiB, 2 passes); a hash keeps its own cost, so raising them later
   * leaves existing passwords valid. Tests lower them to spare the CPU.
   */
  PASSWORD_HASH_MEMORY_KIB: z.coerce
    .number()
    .int()
    .min(1024)
    .max(4 * 1024 * 1024)
    .default(DEFAULT_PASSWORD_HASH.memoryKib),
  PASSWORD_HASH_PASSES: z.coerce.number().int().min(1).max(100).default(DEFAULT_PASSWORD_HASH.passes),
  /** How long a rendered page may be reused while nothing is written; 0 renders every page anew. */
  PAGE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
  /**
   * Mail: smtp:// or smtps://, with user and password in the address. Unset: mails are written as
   * .eml files under DATA_DIR/mail/ and nothing is sent.
   */
  SMTP_URL: z
    .string()
    .default('')
    .refine((v) => v === '' || /^smtps?:\/\/[^\s]+$/.test(v), 'must be smtp://… or smtps://…'),
  MAIL_FROM: z.string().min(3).default('Samspil <samspil@localhost>'),
  /** Where the accessibility statement asks people to report a problem; unset: the address of MAIL_FROM. */
  ACCESSIBILITY_CONTACT: z.union([z.literal(''), z.email()]).default(''),
  /** The address mails link to (the app as its users reach it). */
  PUBLIC_URL: z
    .string()
    .default('')
    .refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'must be http://… or https://…'),
  /** 'off': this process sends no mail (another does); mails are still queued. */
  MAIL_SENDER: z.enum(['on', 'off']).default('on'),
  /** How often the mail sender looks for mail that is due (retries, and mail queued by another process). */
  MAIL_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  /** The wait before the first retry of a temporary failure; it doubles each time, to at most an hour. */
  MAIL_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(60_000),
  /** How often a sending process looks for municipalities whose reminder digest is due. */
  MAIL_DIGEST_POLL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /**
   * How long a claimed mail is its sender's: after a crash mid-send, another process (or the next
   * start) tries it once this has passed. Longer than an SMTP try may take (see mail.transport.ts).
   */
  MAIL_LEASE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(120),
  /**
   * Applications (drafts saved and applications sent) taken per hour from one IP address and for one
   * e-mail address. Counted in the database (rate_limit_windows), so the limit holds across processes.
   */
  APPLICATION_LIMIT_PER_IP: z.coerce.number().int().min(1).max(100_000).default(30),
  APPLICATION_LIMIT_PER_EMAIL: z.coerce.number().int().min(1).max(100_000).default(10),
  /**
   * The virus scanner for applicants' documents: a shell command that reads the file on standard
   * input and exits 0 when it is clean, 1 when it is not (`clamdscan --fdpass -`). Unset: no scan.
   */
  DOCUMENT_SCAN_COMMAND: z.string().default(''),
  /**
   * How long applicants' personal data is kept (docs/applications.md): an approved application's for
   * this many years after the end of its round's financial year (the round's year; the bookkeeping
   * period), a rejected one's for this many days after the decision, an abandoned draft's for this many
   * days after it was last saved. Then the retention job erases it, looking every
   * APPLICATION_RETENTION_POLL_MS in the process that sends mail (MAIL_SENDER=on).
   */
  APPLICATION_RETENTION_YEARS: z.coerce.number().int().min(0).max(100).default(5),
  REJECTED_APPLICATION_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(365),
  DRAFT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  APPLICATION_RETENTION_POLL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),
});

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string }
  | {
      kind: 'postgres';
      url: string;
      /** Defaults: DEFAULT_STATEMENT_TIMEOUT_MS and DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS; 0 is no limit. */
      statementTimeoutMs?: number;
      /** Default DEFAULT_POOL_MAX. */
      poolMax?: number;
      idleInTransactionTimeoutMs?: number;
    };

export interface Config {
  port: number;
  host: string;
  database: DatabaseConfig;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  production: boolean;
  session: { idleMinutes: number; absoluteHours: number };
  https: boolean;
  trustProxy: boolean | string | ((address: string, hop: number) => boolean);
  loginLimits: { perAccount: number; perIp: number };
  auditorThresholdOre: number;
  shutdownGraceMs: number;
  pageCacheTtlMs: number;
  passwordHash: { memoryKib: number; passes: number };
  mail: {
    smtpUrl: string;
    from: string;
    publicUrl: string;
    sender: boolean;
    pollMs: number;
    retryBaseMs: number;
    digestPollMs: number;
    leaseSeconds: number;
    dir: string;
  };
  applications: {
    limitPerIp: number;
    limitPerEmail: number;
    scanCommand: string;
    retention: { approvedYears: number; rejectedDays: number; draftDays: number; pollMs: number };
  };
  /** The accessibility statement's contact address. */
  accessibilityContact: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? {
          kind: 'postgres',
          url: e.DATABASE_URL,
          statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
          poolMax: e.DATABASE_POOL_MAX,
          idleInTransactionTimeoutMs: e.IDLE_IN_TRANSACTION_TIMEOUT_MS,
        }
      : { kind: 'pglite', dataDir: resolve(e.DATA_DIR) },
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
    session: { idleMinutes: e.SESSION_IDLE_MINUTES, absoluteHours: e.SESSION_ABSOLUTE_HOURS },
    https: e.HTTPS,
    trustProxy:
      e.TRUST_PROXY === '' || e.TRUST_PROXY === 'false'
        ? false
        : e.TRUST_PROXY === 'true'
          ? true
          : /^\d+$/.test(e.TRUST_PROXY)
            ? (_address: string, hop: number) => hop < Number(e.TRUST_PROXY)
            : e.TRUST_PROXY,
    loginLimits: { perAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT, perIp: e.LOGIN_MAX_FAILURES_PER_IP },
    auditorThresholdOre: e.AUDITOR_THRESHOLD_KR * 100,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    pageCacheTtlMs: e.PAGE_CACHE_TTL_MS,
    passwordHash: { memoryKib: e.PASSWORD_HASH_MEMORY_KIB, passes: e.PASSWORD_HASH_PASSES },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      publicUrl: (e.PUBLIC_URL || `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`).replace(
        /\/+$/,
        '',
      ),
      sender: e.MAIL_SENDER === 'on',
      pollMs: e.MAIL_POLL_MS,
      retryBaseMs: e.MAIL_RETRY_BASE_MS,
      digestPollMs: e.MAIL_DIGEST_POLL_MS,
      leaseSeconds: e.MAIL_LEASE_SECONDS,
      dir: join(resolve(e.DATA_DIR), 'mail'),
    },
    applications: {
      limitPerIp: e.APPLICATION_LIMIT_PER_IP,
      limitPerEmail: e.APPLICATION_LIMIT_PER_EMAIL,
      scanCommand: e.DOCUMENT_SCAN_COMMAND,
      retention: {
        approvedYears: e.APPLICATION_RETENTION_YEARS,
        rejectedDays: e.REJECTED_APPLICATION_RETENTION_DAYS,
        draftDays: e.DRAFT_RETENTION_DAYS,
        pollMs: e.APPLICATION_RETENTION_POLL_MS,
      },
    },
    accessibilityContact: e.ACCESSIBILITY_CONTACT || addressOf(e.MAIL_FROM),
  };
}

/** The bare address of a mailbox such as `Samspil <samspil@kommune.dk>`. */
function addressOf(mailbox: string): string {
  return /<([^<>\s]+)>\s*$/.exec(mailbox)?.[1] ?? mailbox.trim();
}
