/**
 * A municipality's grant list of any length, as it would export it from its own spreadsheet:
 * semicolons, a case number, Danish amounts and dates. The same seed gives the same file.
 */
const WEIGHTS = [2, 7, 6, 5, 4, 3, 2];

function cvrFor(n: number): string {
  for (let k = n; ; k++) {
    const base = String(2_000_000 + (k % 7_000_000)).padStart(7, '0');
    const sum = [...base].reduce((s, d, i) => s + Number(d) * (WEIGHTS[i] as number), 0);
    const check = (11 - (sum % 11)) % 11;
    if (check < 10) return `${base}${check}`;
  }
}

const kroner = (n: number) => n.toLocaleString('da-DK', { minimumFractionDigits: 0, maximumFractionDigits: 2 });

export interface GrantCsvOptions {
  rows: number;
  /** Distinct actors; every other one has a CVR number. */
  actors?: number;
  groups: string[];
  firstYear?: number;
  years?: number;
}

export function grantCsv(o: GrantCsvOptions): string {
  const actors = o.actors ?? Math.max(1, Math.round(o.rows / 20));
  const firstYear = o.firstYear ?? 2021;
  const years = o.years ?? 5;
  const cvrs = new Map<number, string>();
  const lines = ['Sagsnr;Forening;CVR-nr;Projekt;År;Ansøgt beløb;Bevilget beløb;Målgruppe;Bevillingsdato'];
  for (let i = 0; i < o.rows; i++) {
    const a = (i * 7919) % actors;
    const cvr = a % 2 === 0 ? (cvrs.get(a) ?? cvrs.set(a, cvrFor(a * 131 + 17)).get(a)) : '';
    const year = firstYear + (i % years);
    // 1.000–5.975 kr.: a small activity grant, so that a year of 200,000 of them (the million-row
    // bench) stays within the largest budget a round may have (MAX_OERE).
    const requested = 1_000 + ((i * 37) % 200) * 25;
    const awarded = i % 10 === 0 ? 0 : requested - ((i * 13) % 5) * 25;
    const day = 1 + (i % 28);
    const month = 1 + (i % 12);
    lines.push(
      [
        `S-${year}-${String(i).padStart(6, '0')}`,
        `Forening nummer ${a} i ${['Vesterbro', 'Nørrebro', 'Valby', 'Amager', 'Østerbro'][a % 5]}`,
        cvr,
        `Aktivitet ${i}: ${['samvær', 'rådgivning', 'motion', 'madklub', 'lektiehjælp'][i % 5]}`,
        String(year),
        kroner(requested),
        kroner(awarded),
        o.groups[i % o.groups.length],
        `${day}.${month}.${year}`,
      ].join(';'),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
