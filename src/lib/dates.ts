/**
 * Calendar dates for follow-up: the pace of meetings, "due soon" and "overdue". Dates are ISO
 * strings (YYYY-MM-DD) of the Danish calendar. All arithmetic is on calendar days, never on
 * multiples of 24 hours, so daylight-saving changes cannot shift a result by a day.
 */
const ZONE = 'Europe/Copenhagen';

export type IsoDate = string;

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(d: IsoDate): [number, number, number] {
  const m = ISO.exec(d);
  if (!m) throw new RangeError(`not an ISO date: ${d}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const fromUtc = (t: number): IsoDate => {
  const d = new Date(t);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};
const toUtc = (d: IsoDate) => {
  const [y, m, day] = parts(d);
  return Date.UTC(y, m - 1, day);
};

const danishDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date, kept until the minute ends: the date in Denmark changes only on a whole hour. */
let today = { from: 0, until: 0, date: '' };

/** The date in Denmark at the given instant (23:30 UTC on 31 March is already 1 April there), or now. */
export function danishDate(at?: Date): IsoDate {
  if (at) return dateInDenmark(at);
  const now = Date.now();
  if (now < today.from || now >= today.until) {
    const from = now - (now % 60_000);
    today = { from, until: from + 60_000, date: dateInDenmark(new Date(now)) };
  }
  return today.date;
}

function dateInDenmark(at: Date): IsoDate {
  const p = danishDay.formatToParts(at).reduce<Record<string, string>>((acc, x) => {
    acc[x.type] = x.value;
    return acc;
  }, {});
  return `${p.year}-${p.month}-${p.day}`;
}

export function addDays(d: IsoDate, days: number): IsoDate {
  return fromUtc(toUtc(d) + days * 86_400_000);
}

/**
 * Whole months later, held to the last day of a shorter month: 31 January + 1 month is
 * 28 (or 29) February, as PostgreSQL's `date + interval 'n months'` does.
 */
export function addMonths(d: IsoDate, months: number): IsoDate {
  const [y, m, day] = parts(d);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return `${pad(year, 4)}-${pad(month + 1)}-${pad(Math.min(day, last))}`;
}

/** Calendar days from a to b (negative when b is earlier). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Math.round((toUtc(b) - toUtc(a)) / 86_400_000);
}

/** Overdue: the date has passed; something due today is not yet overdue. */
export function isOverdue(due: IsoDate, today: IsoDate): boolean {
  return due < today;
}

/** Due soon: from today up to and including `days` calendar days ahead. */
export function isDueSoon(due: IsoDate, today: IsoDate, days: number): boolean {
  return due >= today && due <= addDays(today, days);
}

/** When the next status meeting is due: the pace counted from the last meeting held, or from the start. */
export function nextMeetingDue(lastHeld: IsoDate | null, startsOn: IsoDate, intervalMonths: number): IsoDate {
  return addMonths(lastHeld ?? startsOn, intervalMonths);
}

/** ISO week (2026-W48) of a date, and the Monday that starts a week. */
export function isoWeek(d: IsoDate): string {
  const t = toUtc(d);
  const weekday = (new Date(t).getUTCDay() + 6) % 7; // Monday 0
  const thursday = t + (3 - weekday) * 86_400_000;
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${pad(week)}`;
}

export function mondayOfIsoWeek(week: string): IsoDate {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!m) throw new RangeError(`not an ISO week: ${week}`);
  const year = Number(m[1]);
  const jan4 = Date.UTC(year, 0, 4);
  const jan4Weekday = (new Date(jan4).getUTCDay() + 6) % 7;
  const week1Monday = jan4 - jan4Weekday * 86_400_000;
  return fromUtc(week1Monday + (Number(m[2]) - 1) * 7 * 86_400_000);
}

/** The years whose weeks the outreach overview shows: as for rounds, reports and need estimates. */
const WEEK_YEARS = { first: 2000, last: 2100 } as const;

/**
 * A week the app can show: "2027-W09" in the years 2000–2100, and W53 only in a year that has one.
 * (9999-W52 would end in the year 10000, which no date here can hold.)
 */
export function isShownIsoWeek(week: string): boolean {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  const year = Number(m?.[1]);
  if (!m || year < WEEK_YEARS.first || year > WEEK_YEARS.last || Number(m[2]) < 1) return false;
  return isoWeek(addDays(mondayOfIsoWeek(week), 3)) === week;
}

/** ISO weekday, 1 = Monday … 7 = Sunday. */
export function isoWeekday(d: IsoDate): number {
  return ((new Date(toUtc(d)).getUTCDay() + 6) % 7) + 1;
}

export function isIsoDate(s: string): boolean {
  if (!ISO.test(s)) return false;
  return fromUtc(toUtc(s)) === s;
}

/**
 * A date as Danes write it, in a form, a list or a spreadsheet: 1.12.2026, 01.12.2026, 1-12-2026,
 * 1/12/2026, or the ISO date 2026-12-01. The ISO date, or undefined when it is not a real calendar
 * date (31.4.2026, 29.2.2027). The one reader of typed dates: forms and imports share it.
 */
export function parseDanishDate(input: string): IsoDate | undefined {
  const s = input.trim();
  const dmy = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
  const iso = dmy ? `${dmy[3]}-${pad(Number(dmy[2]))}-${pad(Number(dmy[1]))}` : s;
  return isIsoDate(iso) ? iso : undefined;
}

const danishClock = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/**
 * Does the clock in Denmark show this time (HH:MM) on this date? Not in the hour it skips when
 * summer time begins: 02:00–02:59 on the last Sunday of March. Asked of the time-zone data, which
 * knows whichever offset, +01:00 or +02:00, applies.
 */
export function isDanishClockTime(date: IsoDate, time: string): boolean {
  const [hours, minutes] = time.split(':').map(Number);
  const wall = toUtc(date) + ((hours ?? 0) * 60 + (minutes ?? 0)) * 60_000;
  return [1, 2].some((offsetHours) => {
    const p = danishClock.formatToParts(new Date(wall - offsetHours * 3_600_000));
    const part = (type: string) => p.find((x) => x.type === type)?.value;
    return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}` === `${date} ${time}`;
  });
}

/** The last Sunday of March: the night summer time begins in Denmark (EU rule since 1996). */
export function summerTimeStarts(year: number): IsoDate {
  const march31 = `${pad(year, 4)}-03-31`;
  return addDays(march31, -(isoWeekday(march31) % 7));
}

/** The time (HH:MM, 24-hour) a clock in Denmark shows at the given instant, summer time or not. */
export function danishClockTime(at: Date): string {
  const p = danishClock.formatToParts(at);
  const part = (type: string) => p.find((x) => x.type === type)?.value ?? '00';
  return `${part('hour')}:${part('minute')}`;
}
