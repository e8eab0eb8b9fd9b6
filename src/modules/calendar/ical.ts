/**
 * A small iCalendar (RFC 5545) writer: CRLF line ends, lines folded at 75 octets without splitting
 * a UTF-8 character, text escaped, times in Europe/Copenhagen with its VTIMEZONE. A recurrence is
 * only ever a weekly RRULE: single dates are events of their own, never RDATE, which ical.js and
 * node-ical read differently.
 */
export interface IcsEvent {
  uid: string;
  summary: string;
  description?: string;
  url?: string;
  /** An all-day event on this date (YYYY-MM-DD). */
  date?: string;
  /** Or a timed event: local Danish date and times (HH:MM). */
  start?: { date: string; time: string };
  end?: { date: string; time: string };
  /** Weekly on these ISO weekdays (1 = Monday), until this date (inclusive). */
  weekly?: { weekdays: number[]; until: string | null };
}

const BYDAY = ['', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/**
 * A TEXT value (RFC 5545 § 3.3.11): backslash, semicolon and comma escaped; every line break (CRLF,
 * a bare CR or LF, NEL, U+2028/U+2029) becomes backslash-n; the other control characters,
 * which a TEXT value may not hold (only HTAB), are dropped. A name another municipality typed can
 * then never end the line and start a property or component of its own.
 */
function escapeText(s: string): string {
  return s
    .replaceAll('\\', '\\\\')
    .replaceAll(';', '\\;')
    .replaceAll(',', '\\,')
    .replace(/\r\n|[\n\r\u0085\u2028\u2029]/g, '\\n')
    .replace(/(?!\t)\p{Cc}/gu, '');
}

/** Folds a content line: at most 75 octets a line, continuation lines start with a space. */
export function fold(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let start = 0;
  let limit = 75;
  while (start < bytes.length) {
    let end = Math.min(start + limit, bytes.length);
    // Never cut inside a UTF-8 sequence: back off continuation bytes (10xxxxxx).
    while (end < bytes.length && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
    limit = 74; // the leading space counts
  }
  return parts.join('\r\n ');
}

const compactDate = (d: string) => d.replaceAll('-', '');

const danishHour = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Copenhagen',
  hour: '2-digit',
  hourCycle: 'h23',
});

/** 23:59:59 of a date in Denmark, as a UTC iCalendar time (21:59:59Z in summer, 22:59:59Z in winter). */
function endOfDanishDayUtc(date: string): string {
  const noon = new Date(`${date}T12:00:00Z`);
  const hour = Number(danishHour.format(noon));
  const offset = hour - 12;
  const end = new Date(Date.UTC(noon.getUTCFullYear(), noon.getUTCMonth(), noon.getUTCDate(), 23 - offset, 59, 59));
  return `${end.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}
const localTime = (date: string, time: string) => `${compactDate(date)}T${time.replace(':', '')}00`;

/** Europe/Copenhagen: CET in winter, CEST from the last Sunday of March to the last Sunday of October. */
const VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Copenhagen',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

export function toIcs(name: string, events: IcsEvent[], now = new Date()): string {
  const stamp = `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Samspil//Samspil//DA',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(name)}`,
    'X-WR-TIMEZONE:Europe/Copenhagen',
    // How often a subscriber should fetch the feed anew: RFC 7986, and Outlook's own property.
    'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
    'X-PUBLISHED-TTL:PT1H',
    ...VTIMEZONE,
  ];
  for (const e of events) {
    lines.push('BEGIN:VEVENT', `UID:${e.uid}`, `DTSTAMP:${stamp}`, `SUMMARY:${escapeText(e.summary)}`);
    if (e.date) {
      // All day: the end date is exclusive.
      const next = new Date(`${e.date}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      lines.push(
        `DTSTART;VALUE=DATE:${compactDate(e.date)}`,
        `DTEND;VALUE=DATE:${compactDate(next.toISOString().slice(0, 10))}`,
      );
    } else if (e.start && e.end) {
      lines.push(
        `DTSTART;TZID=Europe/Copenhagen:${localTime(e.start.date, e.start.time)}`,
        `DTEND;TZID=Europe/Copenhagen:${localTime(e.end.date, e.end.time)}`,
      );
      if (e.weekly?.weekdays.length) {
        // With a TZID start, UNTIL must be UTC: the end of that day in Denmark.
        const until = e.weekly.until ? `;UNTIL=${endOfDanishDayUtc(e.weekly.until)}` : '';
        lines.push(`RRULE:FREQ=WEEKLY;BYDAY=${e.weekly.weekdays.map((d) => BYDAY[d]).join(',')}${until}`);
      }
    }
    if (e.description) lines.push(`DESCRIPTION:${escapeText(e.description)}`);
    if (e.url) lines.push(`URL:${e.url}`);
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(fold).join('\r\n')}\r\n`;
}
