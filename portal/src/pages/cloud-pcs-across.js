// Every tenant's Cloud PCs in one list: searched, filtered by status, sorted, paged; each row names its tenant.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { href, page, setQuery } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page, StatusBadge } from '../ui.js';
import { skipTokenOf } from '../lib/bulk-review.js';
import { STATUSES } from '../lib/cloud-pcs.js';
import { words } from '../lib/format.js';
import { cloudPcsAcrossTenants } from '../models/cross-tenant.js';
import { useResource } from '../models/resource.js';

const LIST = '/cloudPCs';
const ORDERS = [
  ['displayName', 'Name'],
  ['userPrincipalName', 'User'],
  ['status', 'Status'],
  ['tenant', 'Tenant'],
];

function Filters({ query }) {
  const [search, setSearch] = useState(query.search || '');
  const apply = (changes) => setQuery({ ...query, ...changes, skipToken: '', page: '' });
  return html`<div class="toolbar cloud-pc-filters">
    <form role="search" aria-label="Cloud PCs of every tenant" class="search-form" onSubmit=${(event) => { event.preventDefault(); apply({ search: search.trim() }); }}>
      <div class="field">
        <label for="across-search">Search</label>
        <input id="across-search" type="search" value=${search} maxlength="100" placeholder="Starts with: user, name, device"
          aria-describedby="across-search-hint" onInput=${(event) => setSearch(event.currentTarget.value)} />
        <span class="visually-hidden" id="across-search-hint">Finds the Cloud PCs whose user, friendly name or device name starts with this text, in any case, in every tenant.</span>
      </div>
      <button type="submit" class="button secondary">Search</button>
    </form>
    <div class="field">
      <label for="across-status">Status</label>
      <select id="across-status" value=${query.status || ''} onChange=${(event) => apply({ status: event.currentTarget.value })}>
        <option value="">Any status</option>
        ${STATUSES.map((status) => html`<option value=${status}>${words(status)}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="across-order">Sort by</label>
      <select id="across-order" value=${query.orderBy || 'displayName'} onChange=${(event) => apply({ orderBy: event.currentTarget.value })}>
        ${ORDERS.map(([order, label]) => html`<option value=${order}>${label}</option>`)}
        ${ORDERS.map(([order, label]) => html`<option value=${`${order} desc`}>${label}, descending</option>`)}
      </select>
    </div>
    ${(query.search || query.status) && html`<a class="button subtle" href=${href(LIST, {}, { orderBy: query.orderBy || '' })}>Clear filters</a>`}
  </div>`;
}

function Pager({ query, nextLink, count }) {
  const number = Number(query.page) || 1;
  const next = skipTokenOf(nextLink);
  if (number === 1 && !next) return null;
  return html`<nav class="pager" aria-label="Pages of Cloud PCs">
    <span>Page ${number}${count ? ` · ${count} shown` : ''}</span>
    ${number > 1 && html`<a class="button secondary" href=${href(LIST, {}, { ...query, skipToken: '', page: '' })}>First page</a>`}
    ${next && html`<a class="button secondary" href=${href(LIST, {}, { ...query, skipToken: next, page: number + 1 })}>Next page</a>`}
  </nav>`;
}

function CloudPcsAcrossTenants({ query }) {
  const filters = { search: query.search, status: query.status, orderBy: query.orderBy };
  const poll = useResource(cloudPcsAcrossTenants(filters, query.skipToken));
  const rows = poll.data?.value;
  const columns = [
    { label: 'Tenant', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId: row.tenantId })}>${row.tenantName}</a>` },
    { label: 'Name', class: 'name-cell', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs/:cloudPcId', { tenantId: row.tenantId, cloudPcId: row.id })}>${row.displayName}</a>
      ${row.managedDeviceName && html`<span class="muted cell-line">${row.managedDeviceName}</span>`}` },
    { label: 'User', key: 'userPrincipalName' },
    { label: 'Status', render: (row) => html`<${StatusBadge} status=${row.status} />` },
    { label: 'Provisioning policy', render: (row) => row.provisioningPolicyName },
  ];
  return html`<${Page} title="Cloud PCs of every tenant" subtitle="Every Cloud PC of the tenants you hold a role on, in one list." actions=${html`<${AsOf} poll=${poll} />`}>
    <${Filters} key=${JSON.stringify(filters)} query=${query} />
    <${ErrorBanner} error=${poll.error} title="The Cloud PCs could not be read" />
    <${DataTable} caption="Cloud PCs of every tenant" columns=${columns} rows=${rows} rowKey=${(row) => `${row.tenantId}/${row.id}`}
      empty=${query.search || query.status ? 'No Cloud PC matches these filters.' : 'No Cloud PCs in any of your tenants yet.'} />
    <${Pager} query=${query} nextLink=${poll.data?.nextLink} count=${rows?.length} />
  </${Page}>`;
}

page(LIST, CloudPcsAcrossTenants, { needs: 'listCloudPcsAcrossTenants', doing: 'see the Cloud PCs of every tenant' });
