// Azure network connections: the list with their health, the wizard's route, and one connection's page.
import { html } from 'htm/preact';
import { can } from '../access.js';
import { href, page, setQuery } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page, StatusBadge } from '../ui.js';
import { JOIN_TYPES } from '../lib/configuration.js';
import { RegionName } from '../catalog-names.js';
import { dateTime, subnetName, words } from '../lib/format.js';
import { connectionList } from '../models/connections.js';
import { useResource } from '../models/resource.js';
import { siteList } from '../models/sites.js';
import { ConnectionWizard } from './connection-wizard.js';
import { ConnectionPage } from './connection-page.js';

const STATUSES = ['passed', 'warning', 'informational', 'failed', 'running', 'pending'];

function StatusFilter({ value, counts }) {
  return html`<div class="toolbar">
    <div class="field">
      <label for="connection-status">Health</label>
      <select id="connection-status" value=${value || ''} onChange=${(event) => setQuery({ status: event.currentTarget.value })}>
        <option value="">Any health (${Object.values(counts).reduce((sum, count) => sum + count, 0)})</option>
        ${STATUSES.map((status) => html`<option value=${status}>${words(status)} (${counts[status] || 0})</option>`)}
      </select>
    </div>
  </div>`;
}

function Connections({ params, query }) {
  const { tenantId } = params;
  const poll = useResource(connectionList(tenantId));
  const sites = useResource(siteList(tenantId));
  const siteName = (id) => sites.data?.find((site) => site.id === id)?.displayName || id;
  const all = poll.data;
  const counts = {};
  for (const connection of all || []) counts[connection.healthCheckStatus] = (counts[connection.healthCheckStatus] || 0) + 1;
  const rows = all && (query.status ? all.filter((connection) => connection.healthCheckStatus === query.status) : all);
  const columns = [
    { label: 'Name', render: (c) => html`<a href=${href('/tenants/:tenantId/connections/:connectionId', { tenantId, connectionId: c.id })}>${c.displayName}</a>` },
    { label: 'Join type', render: (c) => JOIN_TYPES[c.connectionType] || c.connectionType },
    { label: 'Site', render: (c) => html`${siteName(c.siteId)} (<${RegionName} name=${c.regionName} />)` },
    { label: 'Subnet', render: (c) => (c.subnetId ? html`<span title=${c.subnetId}>${subnetName(c.subnetId)}</span>` : '—') },
    { label: 'Health', render: (c) => html`<${StatusBadge} status=${c.healthCheckStatus} />` },
    { label: 'In use', render: (c) => (c.inUse ? 'Yes, by a policy' : 'No') },
    { label: 'Last checked', render: (c) => dateTime(c.healthCheckStatusDetail?.endDateTime) },
  ];
  const create = can('createConnection', tenantId)
    && html`<a class="button primary" href=${href('/tenants/:tenantId/connections/new', { tenantId })}>Create connection</a>`;
  return html`<${Page} title="Azure network connections" subtitle="Where Cloud PCs attach to a network, and whether its health checks pass."
      actions=${html`<${AsOf} poll=${poll} />${create}`}>
    <${ErrorBanner} error=${poll.error} />
    ${all && all.length > 0 && html`<${StatusFilter} value=${query.status} counts=${counts} />`}
    <${DataTable} caption="Connections" columns=${columns} rows=${rows}
      empty=${query.status ? `No connection is ${words(query.status).toLowerCase()}.` : 'No connections yet. A policy can still use the Microsoft-hosted network.'} />
  </${Page}>`;
}

page('/tenants/:tenantId/connections', Connections);
// registered before the connection's page so that "new" is not taken for an id
page('/tenants/:tenantId/connections/new', ConnectionWizard, { needs: 'createConnection', doing: 'create a connection' });
page('/tenants/:tenantId/connections/:connectionId', ConnectionPage);
