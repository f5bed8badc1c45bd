import { html, type Html } from '../web/html.ts';

/**
 * Billable and non-billable users by reason, as server-made SVG: one bar per
 * reason, each a link to the list behind it. No script, no style attribute
 * (the CSP allows neither inline): sizes are SVG attributes, colours classes.
 */
export function reasonChart(byReason: Record<string, number>, billableReasons: ReadonlySet<string>, link: (reason: string) => string): Html {
  const entries = Object.entries(byReason).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const row = 34;
  const labelWidth = 220;
  const barWidth = 300;
  const height = Math.max(row, entries.length * row);
  return html`<svg
    class="chart"
    role="img"
    aria-labelledby="chart-title"
    viewBox="0 0 ${labelWidth + barWidth + 80} ${height}"
    width="100%"
    preserveAspectRatio="xMinYMin meet"
  >
    <title id="chart-title">Users by billing reason</title>
    ${entries.map(([reason, count], i) => {
      const width = Math.max(2, Math.round((count / max) * barWidth));
      const y = i * row;
      return html`<a href="${link(reason)}" data-reason="${reason}" data-count="${count}"
        ><text x="0" y="${y + 21}" class="label">${reason}</text
        ><rect x="${labelWidth}" y="${y + 6}" width="${width}" height="20" class="bar ${billableReasons.has(reason) ? 'billable' : 'free'}"></rect
        ><text x="${labelWidth + width + 6}" y="${y + 21}" class="value">${count}</text></a
      >`;
    })}
  </svg>`;
}
