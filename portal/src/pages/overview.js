// The organization overview: every tenant the caller looks after, its Cloud PCs by status, what needs attention (its open alerts, the most severe named), and its costs this month beside the month before.
import { html } from 'htm/preact';
import { can } from '../access.js';
import { href, page } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page } from '../ui.js';
import { money, monthBefore, monthName } from '../lib/costs.js';
import { words } from '../lib/format.js';
import { costsAcrossTenants } from '../models/costs.js';
import { useResource } from '../models/resource.js';
import { summaries } from '../models/tenants.js';
import { CLOUD_PC_ATTENTION, CLOUD_PC_UNDER_WAY } from '../vocabulary.js';

// a count's accessible name starts with the number as shown (axe's label-content-name-mismatch: 1,234 read as 1,234),
// and names what it counts in the singular for one (`label`, or [one, many] where the two differ)
function count(link, value, label) {
  const [one, many] = Array.isArray(label) ? label : [label, label];
  const named = (shown) => `${shown} ${value === 1 ? one : many}`;
  if (!value) return html`<span class="count zero" aria-label=${named('0')}>0</span>`;
  const shown = value.toLocaleString();
  return html`<a class="count" href=${link} aria-label=${named(shown)}>${shown}</a>`;
}

/** The tenant's most severe open alert, as a badge that opens it. */
function MostSevere({ tenantId, alert }) {
  if (!alert) return null;
  const severity = words(alert.severity);
  return html`<a class=${`badge severity-${alert.severity} cell-line`} href=${href('/tenants/:tenantId/alerts/:alertId', { tenantId, alertId: alert.alertId })}
    aria-label=${`${severity}: the most severe open alert`}>${severity}</a>`;
}

/** A tile per tenant: this month's actual cost and savings, the month before's beside them; one request for all. */
function TenantCosts() {
  const poll = useResource(costsAcrossTenants());
  const rows = poll.data && [...poll.data].sort((a, b) => (a.displayName || '').localeCompare(b.displayName || ''));
  const figures = (row, of) => `${money(of.actual, row.currency)} cost, ${money(of.savings, row.currency)} saved`;
  return html`<section class="overview-costs" aria-labelledby="overview-costs">
    <h2 id="overview-costs">Costs this month${rows?.length ? html`, ${monthName(rows[0].month)}` : ''}</h2>
    <p class="muted">Estimates from Azure's list prices, pay as you go, for the VMs and disks each tenant's Cloud PCs and Spot Groups use;
      saved: against the same VMs on demand and running 24x7.</p>
    <${ErrorBanner} error=${poll.error} title="The costs could not be read" />
    ${rows && (rows.length ? html`<ul class="tiles cost-tiles" aria-label="Each tenant's costs this month">
      ${rows.map((row) => html`<li class="tile cost-tile" key=${row.tenantId}>
        <a class="tile-name" href=${href('/tenants/:tenantId/costs', { tenantId: row.tenantId })}>${row.displayName}</a>
        <span class="tile-value">${money(row.current.actual, row.currency)}</span>
        <span>cost, ${money(row.current.savings, row.currency)} saved</span>
        <span class="muted cell-line">${monthName(monthBefore(row.month))}: ${figures(row, row.previous)}</span>
      </li>`)}
    </ul>` : html`<p class="muted">No tenant's costs to show.</p>`)}
  </section>`;
}

function Overview() {
  const poll = useResource(summaries);
  const rows = poll.data && [...poll.data].sort((a, b) => (a.displayName || '').localeCompare(b.displayName || ''));
  const cloudPcs = (tenantId, status) => href('/tenants/:tenantId/cloudPCs', { tenantId }, { status });
  const columns = [
    { label: 'Tenant', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId: row.tenantId })}>${row.displayName}</a>` },
    { label: 'Cloud PCs', class: 'number', render: (row) => count(cloudPcs(row.tenantId), row.cloudPcs.total, ['Cloud PC', 'Cloud PCs']) },
    { label: 'Provisioned', class: 'number', render: (row) => count(cloudPcs(row.tenantId, 'provisioned'), row.cloudPcs.byStatus.provisioned, 'provisioned') },
    { label: 'Never connected', class: 'number', render: (row) => count(href('/tenants/:tenantId/cloudPCs', { tenantId: row.tenantId }, { neverConnected: 'true' }), row.cloudPcs.neverConnected, 'never connected to') },
    { label: 'In progress', class: 'number', render: (row) => CLOUD_PC_UNDER_WAY.reduce((sum, status) => sum + row.cloudPcs.byStatus[status], 0).toLocaleString() },
    ...CLOUD_PC_ATTENTION.map((status) => ({ label: words(status), class: 'number attention', render: (row) => count(cloudPcs(row.tenantId, status), row.cloudPcs.byStatus[status], words(status).toLowerCase()) })),
    { label: 'Connections not healthy', class: 'number attention', render: (row) => count(href('/tenants/:tenantId/connections', { tenantId: row.tenantId }), row.connections.notHealthy, ['connection not healthy', 'connections not healthy']) },
    { label: 'Spot Groups not ready', class: 'number attention', render: (row) => count(href('/tenants/:tenantId/spotGroups', { tenantId: row.tenantId }), row.spotGroups.notReady, ['Spot Group not ready', 'Spot Groups not ready']) },
    { label: 'Open alerts', class: 'number attention', render: (row) => html`${count(href('/tenants/:tenantId/alerts', { tenantId: row.tenantId }), row.activeAlerts, ['open alert', 'open alerts'])}
      <${MostSevere} tenantId=${row.tenantId} alert=${row.mostSevereAlert} />` },
    { label: 'Templates drifted', class: 'number attention', render: (row) => count(href('/tenants/:tenantId/templates', { tenantId: row.tenantId }), row.driftedTemplates, ['template drifted', 'templates drifted']) },
    { label: 'Work refused', class: 'number attention', render: (row) => count(href('/tenants/:tenantId/onboarding', { tenantId: row.tenantId }), row.refusedWork.length, 'work refused for want of a permission') },
  ];
  const totals = (rows || []).reduce((sum, row) => ({
    cloudPcs: sum.cloudPcs + row.cloudPcs.total,
    failed: sum.failed + row.cloudPcs.byStatus.failed,
    grace: sum.grace + row.cloudPcs.byStatus.inGracePeriod,
  }), { cloudPcs: 0, failed: 0, grace: 0 });
  return html`<${Page} title="Overview" subtitle="Every tenant you look after, and what needs attention." actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} />
    ${rows && html`<ul class="tiles" aria-label="Totals">
      <li class="tile"><span class="tile-value">${rows.length.toLocaleString()}</span> tenants</li>
      <li class="tile"><span class="tile-value">${totals.cloudPcs.toLocaleString()}</span> Cloud PCs</li>
      <li class=${`tile${totals.failed ? ' attention' : ''}`}><span class="tile-value">${totals.failed.toLocaleString()}</span> failed</li>
      <li class=${`tile${totals.grace ? ' attention' : ''}`}><span class="tile-value">${totals.grace.toLocaleString()}</span> in grace period</li>
    </ul>`}
    <${DataTable} caption="Tenants" columns=${columns} rows=${rows} rowKey=${(row) => row.tenantId}
      empty=${html`No tenants yet. <a href="#/tenants">Add a tenant</a>.`} />
    ${can('listTenantCosts') && html`<${TenantCosts} />`}
  </${Page}>`;
}

page('/', Overview);
