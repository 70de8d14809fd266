// What the Costs page and a Spot Group's page both show of a cost report: its totals with the savings by cause, the daily chart with its table; a Spot Group's costs this month.
import { html } from 'htm/preact';
import { href } from '../router.js';
import { AsOf, DataTable, ErrorBanner } from '../ui.js';
import { COST_PANELS, COST_SERIES, SAVINGS_CAUSES, costDay, costSummary, monthToDate, money, pricesSentence, savedShare } from '../lib/costs.js';
import { dayLabeller, layoutDaily } from '../lib/usage.js';
import { costReport } from '../models/costs.js';
import { useResource } from '../models/resource.js';

const fullDay = dayLabeller(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const longDay = dayLabeller(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

/** Where the figures come from: list prices of a day (an estimate), and what had no price. */
export function PricesNote({ report }) {
  return html`<p class="muted prices-note">${pricesSentence(report.prices, longDay)}</p>`;
}

/** A 400's details each in its own line (from after to, an unknown currency...), else the error's message. */
export const refusals = (error) => (error?.details?.length ? error.details.map((detail) => detail.message) : error);

const causeColumns = (amount) => [
  { label: 'Cause', class: 'name-cell', render: (cause) => html`<strong>${cause.title}</strong>` },
  { label: 'What it counts', render: (cause) => cause.says },
  { label: 'Saved', class: 'number', render: (cause) => amount(cause.saved) },
];

/** The report's total: actual, baseline and saved as tiles marked as estimates, and the savings by cause in a table. */
export function CostTotals({ report, label }) {
  const { total, currency } = report;
  const amount = (value) => money(value, currency);
  return html`<ul class="tiles cost-totals" aria-label=${label}>
      <li class="tile"><span class="tile-value">${amount(total.actual)}</span> actual <span class="estimate">estimate</span></li>
      <li class="tile"><span class="tile-value">${amount(total.baseline)}</span> baseline: on demand, 24x7 <span class="estimate">estimate</span></li>
      <li class="tile saved"><span class="tile-value">${amount(total.savings)}</span> saved (${savedShare(total)}) <span class="estimate">estimate</span></li>
    </ul>
    <${DataTable} caption="Savings by cause" columns=${causeColumns(amount)} rows=${SAVINGS_CAUSES.map((cause) => ({ ...cause, saved: total.savingsByCause?.[cause.key] }))}
      rowKey=${(cause) => cause.key} />`;
}

/** Each day's actual cost beside its baseline, drawn; the table beside it says the same. */
export function CostChart({ report, compact = false, caption = 'Each day\'s cost' }) {
  const layout = layoutDaily(report.value, { panels: COST_PANELS, dayOf: costDay, width: compact ? 600 : 880, panel: compact ? 110 : 170 });
  const [panel] = layout.panels;
  const titles = Object.fromEntries(COST_SERIES.map((series) => [series.key, series.title]));
  const amount = (value) => money(value, report.currency);
  const summary = costSummary(report);
  return html`<div class=${`usage-daily cost-daily${compact ? ' compact' : ''}`}>
    <figure class="usage-chart cost-chart">
      <svg viewBox=${`0 0 ${layout.width} ${layout.height}`} width=${layout.width} height=${layout.height} role="img"
        aria-label=${`Actual cost against the baseline on each day (UTC days). ${summary} The table beside it gives each day's figures.`}>
        <text x="0" y=${panel.top - 10} class="axis-title">${panel.title} (${report.currency})</text>
        ${panel.yTicks.map((tick) => html`<g key=${tick.value} class="axis">
          <line x1=${layout.left} x2=${layout.width - layout.right} y1=${tick.y} y2=${tick.y} class="tick" />
          <text x=${layout.left - 6} y=${tick.y + 4} text-anchor="end">${tick.value.toLocaleString()}</text></g>`)}
        ${panel.bars.map((bar) => bar.value > 0 && html`<rect key=${`${bar.series}-${bar.day}`} x=${bar.x} y=${bar.y} width=${bar.width} height=${bar.height}
          class=${`bar bar-${bar.series}`}><title>${`${fullDay(bar.day)}: ${titles[bar.series]} ${amount(bar.value)}`}</title></rect>`)}
        ${layout.xTicks.map((tick) => html`<g key=${tick.x} class="axis">
          <line x1=${tick.x} x2=${tick.x} y1=${layout.axisY} y2=${layout.axisY + 5} class="tick" />
          <text x=${tick.x} y=${layout.axisY + 18} text-anchor="middle">${tick.label}</text></g>`)}
      </svg>
      <figcaption class="muted">
        <span class="legend">${COST_SERIES.map((series) => html`<span key=${series.key} class="legend-entry"><span class=${`swatch swatch-${series.key}`} aria-hidden="true"></span>${series.title}</span>`)}</span>
        ${summary} Days are UTC days.</figcaption>
    </figure>
    <div class="table-wrap daily-table" tabindex="0" role="region" aria-label=${caption}>
      <table>
        <caption>${caption}</caption>
        <thead><tr><th scope="col">Day</th><th scope="col" class="number">Actual</th><th scope="col" class="number">Baseline</th>
          <th scope="col" class="number">Saved</th></tr></thead>
        <tbody>${[...report.value].reverse().map((row) => html`<tr key=${row.key}>
          <th scope="row">${fullDay(row.key)}</th><td class="number">${amount(row.actual)}</td>
          <td class="number">${amount(row.baseline)}</td><td class="number">${amount(row.savings)}</td></tr>`)}</tbody>
      </table>
    </div>
  </div>`;
}

/** A Spot Group's costs this month: its totals with the savings by cause, and a small daily chart with its table. */
export function SpotGroupCosts({ tenantId, groupId }) {
  const poll = useResource(costReport(tenantId, { ...monthToDate(), groupBy: 'day', spotGroupId: groupId }));
  const report = poll.data;
  return html`<section class="card wide" aria-labelledby="group-costs-heading">
    <div class="section-header"><h2 id="group-costs-heading">Costs this month</h2><${AsOf} poll=${poll} /></div>
    <${ErrorBanner} error=${refusals(poll.error)} title="The costs could not be read" />
    ${report ? html`<${PricesNote} report=${report} />
      <${CostTotals} report=${report} label="This month's totals for the group, estimated" />
      <${CostChart} report=${report} compact caption="The group's cost each day" />
      <p><a href=${href('/tenants/:tenantId/costs', { tenantId })}>All the tenant's costs</a></p>`
    : !poll.error && html`<p class="muted">Loading…</p>`}
  </section>`;
}
