/**
 * Reminder digests (issue 20): at most one mail a day per user, at the time the municipality's
 * admins set (07:00 Danish time unless they set another), listing what the follow-up page's rules
 * say is due for that user. Each user chooses daily, weekly (Mondays) or off, per kind.
 */
import { createHmac } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { danishClockTime, danishDate, isoWeekday } from '../../lib/dates.ts';
import { AppError, staleVersion } from '../../lib/errors.ts';
import { formatDate } from '../../lib/format.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import { type Principal, system } from '../../lib/principal.ts';
import { newSecret, sameSecret } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { FollowUpService } from '../follow-up/follow-up.service.ts';
import {
  claimDigestRun,
  countDigestRun,
  DEFAULT_DIGEST_TIME,
  type DigestFrequency,
  digestRecipients,
  digestUser,
  findDigestPreferences,
  findDigestSetting,
  municipalitiesAwaitingDigest,
  saveDigestPreferences,
  saveDigestTime,
  unsubscribeKey,
} from './digests.repository.ts';
import type { DigestPreferencesInput, DigestTimeInput } from './digests.schemas.ts';
import { queueMail } from './mail.compose.ts';

type Reminders = Awaited<ReturnType<FollowUpService['reminders']>>;
type Recipient = Awaited<ReturnType<typeof digestRecipients>>[number];

export type DigestService = ReturnType<typeof createDigestService>;

export function createDigestService(db: Db, config: Config, followUp: FollowUpService) {
  const publicUrl = config.mail.publicUrl;
  const mailContext = { publicUrl, from: config.mail.from };
  let key: string | undefined;
  const tokenFor = async (userId: number) => {
    key ??= await unsubscribeKey(db, newSecret(32));
    return createHmac('sha256', key).update(`unsubscribe:${userId}`).digest('base64url');
  };
  const unsubscribeLink = async (userId: number) =>
    `${publicUrl}/mail/unsubscribe?user=${userId}&token=${await tokenFor(userId)}`;

  /** One user's part of the municipality's lists: empty when there is nothing for them. */
  function itemsFor(user: Recipient, lists: { grants: Reminders; agreements: Reminders }, coordinators: Set<number>) {
    const date = (d: string | null) => formatDate(d, user.locale);
    const mine = (coordinatorUserId: number | null) =>
      coordinatorUserId === user.id ||
      ((coordinatorUserId === null || !coordinators.has(coordinatorUserId)) && user.role === 'coordinator');
    const a = lists.agreements;
    return {
      // Report reminders: all of the municipality's to finance, and a grant's to its case handler (once).
      reports: lists.grants.reports
        .filter((r) => user.role === 'finance' || r.caseHandlerId === user.id)
        .map((r) => ({
          title: r.title,
          actorName: r.actorName,
          roundName: r.roundName,
          dueOn: date(r.dueOn),
          overdue: r.overdue,
          link: `${publicUrl}/grants/${r.id}`,
        })),
      agreements: a.agreementsDue
        .filter((x) => mine(x.coordinatorUserId))
        .map((x) => ({
          title: x.title,
          endsOn: x.ending ? date(x.endsOn) : null,
          reviewOn: x.review ? date(x.reviewOn) : null,
          link: `${publicUrl}/agreements/${x.id}`,
        })),
      meetings: a.meetingsOverdue
        .filter((x) => mine(x.coordinatorUserId))
        .map((x) => ({ title: x.title, dueOn: date(x.dueOn), link: `${publicUrl}/agreements/${x.id}#meetings` })),
      actionItems: a.actionItems
        .filter((i) => i.ownerUserId === user.id)
        .map((i) => ({
          text: i.text,
          agreementTitle: i.agreementTitle,
          dueOn: date(i.dueOn),
          overdue: i.overdue,
          link: `${publicUrl}/agreements/${i.agreementId}#meetings`,
        })),
    };
  }

  /** The day's digests of one municipality, queued with the day's run row: false if another took the run. */
  async function runMunicipality(m: { code: number; name: string }, today: string): Promise<number> {
    const monday = isoWeekday(today) === 1;
    const recipients = await digestRecipients(db, m.code);
    const wanted = (f: DigestFrequency) => f === 'daily' || (f === 'weekly' && monday);
    const anyWeekly = monday && recipients.some((u) => u.grants === 'weekly' || u.agreements === 'weekly');
    const anyone = recipients.some((u) => wanted(u.grants) || wanted(u.agreements));
    const daily = anyone ? await followUp.reminders(m.code, today, 1) : undefined;
    const weekly = anyWeekly ? await followUp.reminders(m.code, today, 7) : daily;
    const coordinators = new Set(recipients.filter((u) => u.role === 'coordinator').map((u) => u.id));
    const mails: { user: Recipient; items: ReturnType<typeof itemsFor>; count: number }[] = [];
    for (const user of recipients) {
      if (!daily || !weekly || !(wanted(user.grants) || wanted(user.agreements))) continue;
      const pick = (f: DigestFrequency) => (f === 'weekly' ? weekly : daily);
      const items = itemsFor(user, { grants: pick(user.grants), agreements: pick(user.agreements) }, coordinators);
      if (!wanted(user.grants)) items.reports = [];
      if (!wanted(user.agreements)) Object.assign(items, { agreements: [], meetings: [], actionItems: [] });
      const count = items.reports.length + items.agreements.length + items.meetings.length + items.actionItems.length;
      if (count) mails.push({ user, items, count });
    }
    const links = await Promise.all(mails.map((x) => unsubscribeLink(x.user.id)));
    return db.transaction(async (tx) => {
      if (!(await claimDigestRun(tx, m.code, today))) return 0;
      for (const [i, { user, items, count }] of mails.entries()) {
        const link = links[i] as string;
        await queueMail(tx, mailContext, {
          kind: 'digest',
          to: user.email,
          userId: user.id,
          municipalityCode: m.code,
          locale: user.locale,
          data: {
            name: user.name,
            municipality: m.name,
            date: formatDate(today, user.locale),
            count,
            ...items,
            accountLink: `${publicUrl}/account#digest`,
            unsubscribeLink: link,
          },
          headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        });
      }
      await countDigestRun(tx, m.code, today, mails.length);
      await recordAudit(
        tx,
        { ...system, municipalityCode: m.code },
        {
          entity: 'digest_run',
          entityId: `${m.code}:${today}`,
          action: 'digest_sent',
          after: { runOn: today, mails: mails.length, userIds: mails.map((x) => x.user.id) },
        },
      );
      return mails.length;
    });
  }

  async function assertLink(userId: number, token: string) {
    if (!sameSecret(token, await tokenFor(userId))) throw new AppError('UNSUBSCRIBE_INVALID', 404, 'error.notFound');
  }

  return {
    /**
     * Queues the day's digests of every municipality whose digest time has passed on `now`'s Danish
     * date and that has had no run that date. Returns how many mails were queued.
     */
    async runDigests(now: Date): Promise<{ municipalities: number; mails: number }> {
      const today = danishDate(now);
      const clock = danishClockTime(now);
      const due = (await municipalitiesAwaitingDigest(db, today)).filter((m) => m.digestTime <= clock);
      let mails = 0;
      for (const m of due) mails += await runMunicipality(m, today);
      return { municipalities: due.length, mails };
    },

    /** The user's own choice for the account page (daily for both, version 0, until they choose). */
    async preferences(principal: Principal) {
      const row = principal.userId === null ? undefined : await findDigestPreferences(db, principal.userId);
      return row ?? { grants: 'daily' as const, agreements: 'daily' as const, version: 0 };
    },

    async setPreferences(principal: Principal, input: DigestPreferencesInput) {
      const userId = principal.userId;
      if (userId === null) throw new AppError('UNAUTHENTICATED', 401, 'error.unauthenticated');
      return db.transaction(async (tx) => {
        const before = await findDigestPreferences(tx, userId);
        const saved = await saveDigestPreferences(tx, userId, input, input.version);
        if (!saved) throw staleVersion('digest_preferences', before);
        await recordAudit(tx, principal, {
          entity: 'digest_preferences',
          entityId: userId,
          action: 'update',
          before: before ? { grants: before.grants, agreements: before.agreements } : null,
          after: { grants: saved.grants, agreements: saved.agreements },
        });
        return saved;
      });
    },

    /** Is this the link we sent this user (the unsubscribe page shows its button, or 404)? */
    assertUnsubscribeLink: assertLink,

    /** One-click unsubscribe (RFC 8058): the link's user gets no more digests of either kind. */
    async unsubscribe(userId: number, token: string) {
      await assertLink(userId, token);
      await db.transaction(async (tx) => {
        const before = await findDigestPreferences(tx, userId);
        const saved = await saveDigestPreferences(tx, userId, { grants: 'off', agreements: 'off' }, 'any');
        const user = await digestUser(tx, userId);
        await recordAudit(
          tx,
          { userId, municipalityCode: user?.municipalityCode ?? null, role: null },
          {
            entity: 'digest_preferences',
            entityId: userId,
            action: 'unsubscribe',
            before: before ? { grants: before.grants, agreements: before.agreements } : null,
            after: { grants: saved?.grants, agreements: saved?.agreements },
          },
        );
      });
    },

    /** The municipality's digest time for its admins' mail page. */
    async digestTime(principal: Principal) {
      const code = principal.municipalityCode ?? 0;
      assertMayWrite(principal, 'users', code);
      return (await findDigestSetting(db, code)) ?? { digestTime: DEFAULT_DIGEST_TIME, version: 0 };
    },

    async setDigestTime(principal: Principal, input: DigestTimeInput) {
      const code = principal.municipalityCode ?? 0;
      assertMayWrite(principal, 'users', code);
      return db.transaction(async (tx) => {
        const before = await findDigestSetting(tx, code);
        const saved = await saveDigestTime(tx, code, input.digestTime, input.version);
        if (!saved) throw staleVersion('digest_settings', before);
        await recordAudit(tx, principal, {
          entity: 'digest_settings',
          entityId: code,
          action: 'update',
          before: { digestTime: before?.digestTime ?? DEFAULT_DIGEST_TIME },
          after: { digestTime: saved.digestTime },
        });
        return saved;
      });
    },
  };
}
