// The organization overview: every tenant the caller looks after, its Cloud PCs by status and what needs attention.
import { html } from 'htm/preact';
import { href, page } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page } from '../ui.js';
import { words } from '../lib/format.js';
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

function Overview() {
  const poll = useResource(summaries);
  const rows = poll.data && [...poll.data].sort((a, b) => (a.displayName || '').localeCompare(b.displayName || ''));
  const cloudPcs = (tenantId, status) => href('/tenants/:tenantId/cloudPCs', { tenantId }, { status });
  const columns = [
    { label: 'Tenant', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId: row.tenantId })}>${row.displayName}</a>` },
    { label: 'Cloud PCs', class: 'number', render: (row) => count(cloudPcs(row.tenantId), row.cloudPcs?.total, ['Cloud PC', 'Cloud PCs']) },
    { label: 'Provisioned', class: 'number', render: (row) => count(cloudPcs(row.tenantId, 'provisioned'), row.cloudPcs?.byStatus?.provisioned, 'provisioned') },
    { label: 'Never connected', class: 'number', render: (row) => count(href('/tenants/:tenantId/cloudPCs', { tenantId: row.tenantId }, { neverConnected: 'true' }), row.cloudPcs?.neverConnected, 'never connected to') },
    { label: 'In progress', class: 'number', render: (row) => CLOUD_PC_UNDER_WAY.reduce((sum, status) => sum + (row.cloudPcs?.byStatus?.[status] || 0), 0).toLocaleString() },
    ...CLOUD_PC_ATTENTION.map((status) => ({ label: words(status), class: 'number attention', render: (row) => count(cloudPcs(row.tenantId, status), row.cloudPcs?.byStatus?.[status], words(status).toLowerCase()) })),
    { label: 'Connections not healthy', class: 'number attention', render: (row) => count(href('/tenants/:tenantId/connections', { tenantId: row.tenantId }), row.connections?.notHealthy, ['connection not healthy', 'connections not healthy']) },
    { label: 'Spot Groups not ready', class: 'number attention', render: (row) => count(href('/tenants/:tenantId/spotGroups', { tenantId: row.tenantId }), row.spotGroups?.notReady, ['Spot Group not ready', 'Spot Groups not ready']) },
    { label: 'Work refused', class: 'number attention', render: (row) => count(href('/tenants/:tenantId/onboarding', { tenantId: row.tenantId }), row.refusedWork?.length, 'work refused for want of a permission') },
  ];
  const totals = (rows || []).reduce((sum, row) => ({
    cloudPcs: sum.cloudPcs + (row.cloudPcs?.total || 0),
    failed: sum.failed + (row.cloudPcs?.byStatus?.failed || 0),
    grace: sum.grace + (row.cloudPcs?.byStatus?.inGracePeriod || 0),
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
  </${Page}>`;
}

page('/', Overview);
