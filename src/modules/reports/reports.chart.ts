/**
 * The proportionality chart as server-rendered SVG: for each group, its share of the need beside
 * its share of the funding. The two bars differ in fill (solid, and hatched with an outline), each
 * carries its percentage as text, and a legend names them, so it reads without colour. The table
 * on the same page is its text alternative.
 */
import { escapeHtml } from '../../lib/html.ts';

export interface ChartRow {
  label: string;
  needShare: number | null;
  fundingShare: number | null;
  flagged: boolean;
}

export interface ChartText {
  title: string;
  description: string;
  need: string;
  funding: string;
  percent: (share: number) => string;
}

export function proportionalityChart(rows: ChartRow[], text: ChartText): string {
  const labelWidth = 260;
  const barWidth = 380;
  const width = labelWidth + barWidth + 80;
  const rowHeight = 46;
  const top = 48;
  const height = top + rows.length * rowHeight + 8;
  const max = Math.max(0.0001, ...rows.flatMap((r) => [r.needShare ?? 0, r.fundingShare ?? 0]));
  const scale = (share: number) => Math.max(0, (share / max) * barWidth);
  const bars = rows
    .map((r, i) => {
      const y = top + i * rowHeight;
      const need = r.needShare ?? 0;
      const funding = r.fundingShare ?? 0;
      // The warning sign and the ellipsis written as references: escaping text beyond Latin-1 costs
      // ten times as much as plain text (html.ts).
      const label = r.label.length > 32 ? `${escapeHtml(r.label.slice(0, 31))}&#8230;` : escapeHtml(r.label);
      return `<g>
  <text x="${labelWidth - 8}" y="${y + 20}" text-anchor="end" class="chart-label">${r.flagged ? '&#9888; ' : ''}${label}</text>
  <rect x="${labelWidth}" y="${y + 4}" width="${scale(need).toFixed(1)}" height="16" class="chart-need"/>
  <text x="${labelWidth + scale(need) + 6}" y="${y + 17}" class="chart-value">${escapeHtml(text.percent(need))}</text>
  <rect x="${labelWidth}" y="${y + 22}" width="${scale(funding).toFixed(1)}" height="16" fill="url(#chart-hatch)" class="chart-funding"/>
  <text x="${labelWidth + scale(funding) + 6}" y="${y + 35}" class="chart-value">${escapeHtml(text.percent(funding))}</text>
</g>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${width} ${height}" width="100%" class="samspil-chart">
<title id="chart-title">${escapeHtml(text.title)}</title>
<desc id="chart-desc">${escapeHtml(text.description)}</desc>
<defs><pattern id="chart-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1a1a1a" stroke-width="3"/></pattern></defs>
<g aria-hidden="true">
  <rect x="${labelWidth}" y="8" width="16" height="16" class="chart-need"/>
  <text x="${labelWidth + 22}" y="21" class="chart-legend">${escapeHtml(text.need)}</text>
  <rect x="${labelWidth + 190}" y="8" width="16" height="16" fill="url(#chart-hatch)" class="chart-funding"/>
  <text x="${labelWidth + 212}" y="21" class="chart-legend">${escapeHtml(text.funding)}</text>
</g>
<g aria-hidden="true">
${bars}
</g>
</svg>`;
}
