// A tenant's usage: connected hours per day drawn with their table, each Cloud PC's and user's use, and the right-sizing report with a resize to the plans it recommends.
import { html } from 'htm/preact';
import { signal } from '@preact/signals';
import { useMemo } from 'preact/hooks';
import { can } from '../access.js';
import { href, page, setQuery } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page } from '../ui.js';
import { dateTime, plural, words } from '../lib/format.js';
import {
  DAILY_SERIES, RANGE_CHOICES, USAGE_ORDERS, dailySummary, dayLabeller, dayRange, gigabytes, layoutDaily, sortUsage,
} from '../lib/usage.js';
import { servicePlans } from '../models/catalog.js';
import { useResource } from '../models/resource.js';
import { cloudPcUsage, dailyUsage, rightSizingReport, userUsage } from '../models/usage.js';
import { ResizeToRecommended } from './usage-resize.js';

const hours = (value) => Number(value.toFixed(1)).toLocaleString();
const lastConnection = (row) => (row.lastConnectedDateTime ? dateTime(row.lastConnectedDateTime) : 'Never connected');
const daysSince = (row) => (row.daysSinceLastConnection === null || row.daysSinceLastConnection === undefined
  ? 'Never connected' : row.daysSinceLastConnection === 0 ? 'Less than a day' : plural(row.daysSinceLastConnection, 'day'));

/** Each day's figures drawn, a panel of bars per figure with its axis and title; the table beside it says the same. */
function DailyChart({ daily, days }) {
  const layout = layoutDaily(daily);
  const fullDay = dayLabeller(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
  return html`<div class="usage-daily">
    <figure class="usage-chart">
      <svg viewBox=${`0 0 ${layout.width} ${layout.height}`} width=${layout.width} height=${layout.height} role="img"
        aria-label=${`Connected hours and active users on each of the last ${days} days (UTC days). ${dailySummary(daily)} The table beside it gives each day's figures.`}>
        ${layout.panels.map((panel) => html`<g key=${panel.key} class=${`panel panel-${panel.key}`}>
          <text x="0" y=${panel.top - 10} class="axis-title">${panel.title}</text>
          ${panel.yTicks.map((tick) => html`<g key=${tick.value} class="axis">
            <line x1=${layout.left} x2=${layout.width - layout.right} y1=${tick.y} y2=${tick.y} class="tick" />
            <text x=${layout.left - 6} y=${tick.y + 4} text-anchor="end">${tick.value.toLocaleString()}</text></g>`)}
          ${panel.bars.map((bar) => bar.value > 0 && html`<rect key=${bar.day} x=${bar.x} y=${bar.y} width=${bar.width} height=${bar.height} class="bar">
            <title>${`${fullDay(bar.day)}: ${panel.key === 'connectedHours' ? `${hours(bar.value)} hours` : plural(bar.value, 'user')}`}</title></rect>`)}
        </g>`)}
        ${layout.xTicks.map((tick) => html`<g key=${tick.x} class="axis">
          <line x1=${tick.x} x2=${tick.x} y1=${layout.axisY} y2=${layout.axisY + 5} class="tick" />
          <text x=${tick.x} y=${layout.axisY + 18} text-anchor="middle">${tick.label}</text></g>`)}
      </svg>
      <figcaption class="muted">${dailySummary(daily)} Days are UTC days.</figcaption>
    </figure>
    <div class="table-wrap daily-table" tabindex="0" role="region" aria-label="Each day's use">
      <table>
        <caption>Each day's use</caption>
        <thead><tr><th scope="col">Day</th>
          ${DAILY_SERIES.map((series) => html`<th scope="col" class="number">${series.title}</th>`)}
          <th scope="col" class="number">Active Cloud PCs</th></tr></thead>
        <tbody>${[...daily].reverse().map((entry) => html`<tr key=${entry.date}>
          <th scope="row">${fullDay(entry.date)}</th><td class="number">${hours(entry.connectedHours)}</td>
          <td class="number">${entry.activeUsers}</td><td class="number">${entry.activeCloudPcs}</td></tr>`)}</tbody>
      </table>
    </div>
  </div>`;
}

function CloudPcTable({ tenantId, rows, order, query }) {
  const columns = [
    { label: 'Cloud PC', class: 'name-cell', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs/:cloudPcId', { tenantId, cloudPcId: row.id })}>${row.displayName}</a>` },
    { label: 'User', render: (row) => row.userPrincipalName },
    { label: 'Connected hours', class: 'number', render: (row) => hours(row.connectedHours) },
    { label: 'Sessions', class: 'number', render: (row) => row.sessions },
    { label: 'Last connection', render: lastConnection },
    { label: 'Days since', render: daysSince },
  ];
  return html`<section class="card wide" aria-labelledby="usage-cloud-pcs">
    <div class="section-header"><h2 id="usage-cloud-pcs">Each Cloud PC</h2>
      <div class="field"><label for="usage-order">Sort by</label>
        <select id="usage-order" value=${order} onChange=${(event) => setQuery({ ...query, order: event.currentTarget.value })}>
          ${Object.entries(USAGE_ORDERS).map(([key, one]) => html`<option value=${key}>${one.label}</option>`)}
        </select></div></div>
    <${DataTable} caption="Each Cloud PC's use" columns=${columns} rows=${rows && sortUsage(rows, order)}
      empty="No Cloud PCs in this tenant yet." />
  </section>`;
}

function UserTable({ tenantId, rows }) {
  const columns = [
    { label: 'User', class: 'name-cell', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId }, { userId: row.userId })} title="This user's Cloud PCs">${row.userPrincipalName}</a>` },
    { label: 'Cloud PCs', class: 'number', render: (row) => row.cloudPcCount },
    { label: 'Connected hours', class: 'number', render: (row) => hours(row.connectedHours) },
    { label: 'Sessions', class: 'number', render: (row) => row.sessions },
    { label: 'Last connection', render: lastConnection },
    { label: 'Days since', render: daysSince },
  ];
  return html`<section class="card wide" aria-labelledby="usage-users">
    <h2 id="usage-users">Each user</h2>
    <${DataTable} caption="Each user's use, over their Cloud PCs" columns=${columns} rowKey=${(row) => row.userId}
      rows=${rows && sortUsage(rows, 'hoursMost')} empty="No users with Cloud PCs yet." />
  </section>`;
}

// where each figure came from, as the report names it
const SOURCES = { cloudPcRecord: 'the Cloud PC record', azureMonitor: 'Azure Monitor', connectionUsage: 'the connections seen' };
const source = (name) => SOURCES[name] || words(name);
const percent = (value) => `${Number(value.toFixed(1))}%`;

function Evidence({ row }) {
  const { evidence } = row;
  const connected = evidence.connectedDays === null || evidence.connectedDays === undefined ? null
    : `Connected on ${plural(evidence.connectedDays, 'day')}${evidence.connectedHours !== null && evidence.connectedHours !== undefined ? `, ${hours(evidence.connectedHours)} hours` : ''}`;
  return html`<ul class="evidence">
    <li>${connected || (evidence.lastConnectedDateTime ? `Last connected ${dateTime(evidence.lastConnectedDateTime)}` : 'Never connected')} <span class="muted">(${source(evidence.connectionSource)})</span></li>
    ${evidence.metricsSource ? html`
      <li>CPU ${evidence.cpuP95Percent !== null && evidence.cpuP95Percent !== undefined ? percent(evidence.cpuP95Percent) : 'not measured'} at the 95th percentile <span class="muted">(${source(evidence.metricsSource)}, ${plural(evidence.hoursWithMetrics, 'hour')} measured)</span></li>
      <li>Free memory ${evidence.memoryAvailableP05Bytes !== null && evidence.memoryAvailableP05Bytes !== undefined ? gigabytes(evidence.memoryAvailableP05Bytes) : 'not measured'} of ${gigabytes(evidence.planMemoryBytes)} at the 5th percentile <span class="muted">(${source(evidence.metricsSource)})</span></li>`
      : html`<li class="muted">CPU and memory not read</li>`}
    ${evidence.reportAggregatedAfter && html`<li class="muted">As Windows 365 last aggregated them, after ${dateTime(evidence.reportAggregatedAfter)}: its reports are aggregated hourly</li>`}
  </ul>`;
}

function RightSizing({ tenantId }) {
  const poll = useResource(rightSizingReport(tenantId));
  const plans = useResource(servicePlans).data;
  const selection = useMemo(() => signal(new Set()), [tenantId]);
  const resize = can('createBulkAction', tenantId);
  const planName = (id) => plans?.find((plan) => plan.id === id)?.displayName || id;
  const rows = poll.data;
  const measured = rows?.[0]?.evidence;
  const columns = [
    { label: 'Cloud PC', class: 'name-cell', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs/:cloudPcId', { tenantId, cloudPcId: row.cloudPcId })}>${row.displayName}</a>
      <span class="muted cell-line">${row.userPrincipalName}</span>` },
    { label: 'Class', render: (row) => html`<strong class=${`sizing sizing-${row.classification}`}>${words(row.classification)}</strong>
      <span class="cell-line">${row.reason}</span>` },
    { label: 'Plan', render: (row) => html`${planName(row.servicePlanId)}
      ${row.recommendedServicePlanId ? html`<span class="cell-line recommended">Recommended: ${planName(row.recommendedServicePlanId)}</span>`
        : row.notResizableReason ? html`<span class="cell-line">Not offered as a resize: ${row.notResizableReason}</span>`
        : html`<span class="muted cell-line">No other plan recommended</span>`}` },
    { label: 'Evidence', render: (row) => html`<${Evidence} row=${row} />` },
  ];
  return html`<section class="card wide" aria-labelledby="right-sizing">
    <div class="section-header"><h2 id="right-sizing">Right-sizing</h2><${AsOf} poll=${poll} /></div>
    <p class="muted">Whether each provisioned Cloud PC's plan fits its use${measured ? `, from ${dateTime(measured.windowStart)} to ${dateTime(measured.windowEnd)}` : ''}:
      its connections, and its VM's CPU and free memory where Azure Monitor has them.</p>
    <${ErrorBanner} error=${poll.error} title="The right-sizing report could not be made" />
    ${resize && rows && html`<${ResizeToRecommended} tenantId=${tenantId} report=${rows} selection=${selection} planName=${planName} />`}
    <${DataTable} caption="Each Cloud PC's fit" columns=${columns} rows=${rows} rowKey=${(row) => row.cloudPcId}
      selection=${resize ? selection : null} rowLabel=${(row) => row.displayName} empty="No provisioned Cloud PCs to size yet." />
  </section>`;
}

function Usage({ params, query }) {
  const { tenantId } = params;
  const days = RANGE_CHOICES.includes(Number(query.days)) ? Number(query.days) : RANGE_CHOICES[1];
  const order = query.order in USAGE_ORDERS ? query.order : 'hoursMost';
  const range = useMemo(() => dayRange(days), [days]);
  const daily = useResource(dailyUsage(tenantId, range));
  const cloudPcs = useResource(cloudPcUsage(tenantId, range));
  const users = useResource(userUsage(tenantId, range));
  const picker = html`<div class="field usage-range"><label for="usage-range">Range</label>
    <select id="usage-range" value=${days} onChange=${(event) => setQuery({ ...query, days: event.currentTarget.value })}>
      ${RANGE_CHOICES.map((choice) => html`<option value=${choice}>Last ${choice} days</option>`)}
    </select></div>`;
  return html`<${Page} title="Usage" subtitle="How much each Cloud PC is used, by whom, and whether its plan fits."
    actions=${html`${picker}<${AsOf} poll=${{ ...daily, refresh: () => [daily, cloudPcs, users].forEach((one) => one.refresh()) }} />`}>
    <section class="card wide" aria-labelledby="usage-daily">
      <h2 id="usage-daily">Each day</h2>
      <${ErrorBanner} error=${daily.error || cloudPcs.error || users.error} title="The usage could not be read" />
      ${daily.data ? html`<${DailyChart} daily=${daily.data} days=${days} />` : !daily.error && html`<p class="muted">Loading…</p>`}
    </section>
    <${CloudPcTable} tenantId=${tenantId} rows=${cloudPcs.data} order=${order} query=${query} />
    <${UserTable} tenantId=${tenantId} rows=${users.data} />
    <${RightSizing} tenantId=${tenantId} />
  </${Page}>`;
}

page('/tenants/:tenantId/usage', Usage);
