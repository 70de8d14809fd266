// All Cloud PCs of a tenant: counts per status that filter, filters and search in the address, server paging, bulk actions.
import { html } from 'htm/preact';
import { signal } from '@preact/signals';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { can } from '../access.js';
import { href, page, setQuery } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page, StatusBadge, failureLine } from '../ui.js';
import { skipTokenOf } from '../lib/bulk-review.js';
import { ALWAYS_TILED, STATUSES, neverConnected } from '../lib/cloud-pcs.js';
import { dateTime, words } from '../lib/format.js';
import { servicePlans } from '../models/catalog.js';
import { tenantSummary } from '../models/alerts.js';
import { cloudPcPage } from '../models/cloud-pcs.js';
import { policyList } from '../models/policies.js';
import { useResource } from '../models/resource.js';
import { CLOUD_PC_ATTENTION } from '../vocabulary.js';
import { BulkBar } from './cloud-pc-bulk.js';

const LIST = '/tenants/:tenantId/cloudPCs';

function StatusTiles({ tenantId, summary, query }) {
  if (!summary?.cloudPcs) return null;
  const { total, byStatus } = summary.cloudPcs;
  const shown = STATUSES.filter((status) => ALWAYS_TILED.includes(status) || byStatus[status]);
  const current = query.status || '';
  const tile = (status, label, value) => html`<li key=${status || 'all'} class=${`tile${current === status ? ' current' : ''}${CLOUD_PC_ATTENTION.includes(status) && value ? ' attention' : ''}${value ? '' : ' zero'}`}>
    <a href=${href(LIST, { tenantId }, { ...query, status, skipToken: '', page: '' })} aria-current=${current === status ? 'true' : undefined}>
      <span class="tile-value">${value.toLocaleString()}</span> ${label}</a></li>`;
  return html`<ul class="tiles cloud-pc-tiles" aria-label="Cloud PCs by status; each filters the list">
    ${tile('', 'all Cloud PCs', total)}
    ${shown.map((status) => tile(status, words(status).toLowerCase(), byStatus[status] || 0))}
  </ul>`;
}

function Filters({ tenantId, query, policies, userName }) {
  const [search, setSearch] = useState(query.search || '');
  const apply = (changes) => setQuery({ ...query, ...changes, skipToken: '', page: '' });
  const filtered = query.search || query.status || query.provisioningPolicyId || query.userId || query.neverConnected;
  return html`<div class="toolbar cloud-pc-filters">
    <form role="search" aria-label="Cloud PCs" class="search-form" onSubmit=${(event) => { event.preventDefault(); apply({ search: search.trim() }); }}>
      <div class="field">
        <label for="cloud-pc-search">Search</label>
        <input id="cloud-pc-search" type="search" value=${search} maxlength="100" placeholder="Starts with: user, name, device"
          aria-describedby="cloud-pc-search-hint" onInput=${(event) => setSearch(event.currentTarget.value)} />
        <span class="visually-hidden" id="cloud-pc-search-hint">Finds the Cloud PCs whose user, friendly name or device name starts with this text, in any case.</span>
      </div>
      <button type="submit" class="button secondary">Search</button>
    </form>
    <div class="field">
      <label for="cloud-pc-status">Status</label>
      <select id="cloud-pc-status" value=${query.status || ''} onChange=${(event) => apply({ status: event.currentTarget.value })}>
        <option value="">Any status</option>
        ${STATUSES.map((status) => html`<option value=${status}>${words(status)}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="cloud-pc-policy">Provisioning policy</label>
      <select id="cloud-pc-policy" value=${query.provisioningPolicyId || ''} onChange=${(event) => apply({ provisioningPolicyId: event.currentTarget.value })}>
        <option value="">Any policy</option>
        ${(policies || []).map((policy) => html`<option value=${policy.id}>${policy.displayName}</option>`)}
      </select>
    </div>
    ${query.userId && html`<p class="filter-chip">User: ${userName || query.userId}
      <button type="button" class="button subtle" onClick=${() => apply({ userId: '' })}>Remove user filter</button></p>`}
    ${query.neverConnected === 'true' && html`<p class="filter-chip">Provisioned, never connected to
      <button type="button" class="button subtle" onClick=${() => apply({ neverConnected: '' })}>Remove never-connected filter</button></p>`}
    ${filtered && html`<a class="button subtle" href=${href(LIST, { tenantId })}>Clear filters</a>`}
  </div>`;
}

function Pager({ tenantId, query, nextLink, count }) {
  const number = Number(query.page) || 1;
  const next = skipTokenOf(nextLink);
  if (number === 1 && !next) return null;
  return html`<nav class="pager" aria-label="Pages of Cloud PCs">
    <span>Page ${number}${count ? ` · ${count} shown` : ''}</span>
    ${number > 1 && html`<a class="button secondary" href=${href(LIST, { tenantId }, { ...query, skipToken: '', page: '' })}>First page</a>`}
    ${next && html`<a class="button secondary" href=${href(LIST, { tenantId }, { ...query, skipToken: next, page: number + 1 })}>Next page</a>`}
  </nav>`;
}

function CloudPcs({ params, query }) {
  const { tenantId } = params;
  // one selection for the page's life: it stays while the list refreshes, filters change or pages turn
  const selection = useMemo(() => signal(new Set()), [tenantId]);
  const seen = useRef(new Map()); // id -> Cloud PC: names for the review of a selection that spans pages
  const filters = { status: query.status, search: query.search, provisioningPolicyId: query.provisioningPolicyId, userId: query.userId,
    neverConnected: query.neverConnected === 'true' ? 'true' : undefined };
  const poll = useResource(cloudPcPage(tenantId, filters, query.skipToken));
  const policies = useResource(policyList(tenantId)).data;
  const plans = useResource(servicePlans).data;
  const bulk = can('createBulkAction', tenantId);
  const tiles = useResource(tenantSummary(tenantId));
  const summary = tiles.data;
  // the tiles follow the list: each of its reads after the first reads the summary again (the first is the header's)
  const listRead = useRef(null);
  useEffect(() => {
    if (listRead.current !== null && poll.asOf !== listRead.current) tenantSummary(tenantId).invalidate();
    listRead.current = poll.asOf;
  }, [poll.asOf]);
  // the rows come with the tiles above them (or without, should the summary fail), so that nothing moves them down
  const rows = summary || tiles.error ? poll.data?.value : undefined;
  for (const cloudPc of rows || []) seen.current.set(cloudPc.id, cloudPc);
  const userName = query.userId && rows?.find((row) => row.userId === query.userId)?.userPrincipalName;
  const columns = [
    { label: 'Name', class: 'name-cell', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs/:cloudPcId', { tenantId, cloudPcId: row.id })}>${row.displayName}</a>
      ${row.managedDeviceName && html`<span class="muted cell-line">${row.managedDeviceName}</span>`}` },
    { label: 'User', render: (row) => html`<a href=${href(LIST, { tenantId }, { userId: row.userId })} title="This user's Cloud PCs">${row.userPrincipalName}</a>` },
    { label: 'Status', render: (row) => html`<span title=${row.statusDetail?.recommendedAction}><${StatusBadge} status=${row.status} /></span>
      ${row.statusDetail && html`<span class="muted cell-line status-detail">${failureLine(row.statusDetail)}</span>`}
      ${neverConnected(row) && html`<span class="cell-line never-connected">Never connected<span class="muted">${row.provisionedDateTime ? ` · provisioned ${dateTime(row.provisionedDateTime)}` : ''}</span></span>`}` },
    { label: 'Provisioning policy', render: (row) => row.provisioningPolicyName },
    { label: 'Plan', render: (row) => row.servicePlanName },
    { label: 'Last modified', render: (row) => dateTime(row.lastModifiedDateTime) },
  ];
  return html`<${Page} title="All Cloud PCs" subtitle="One per user and Windows 365 license, from the policy that wins for the user." actions=${html`<${AsOf} poll=${poll} />`}>
    <${StatusTiles} tenantId=${tenantId} summary=${summary} query=${query} />
    <${Filters} key=${JSON.stringify(filters)} tenantId=${tenantId} query=${query} policies=${policies} userName=${userName} />
    <${ErrorBanner} error=${poll.error} title="The Cloud PCs could not be read" />
    ${bulk && html`<${BulkBar} tenantId=${tenantId} selection=${selection} seen=${seen.current} plans=${plans} />`}
    <${DataTable} caption="Cloud PCs" columns=${columns} rows=${rows} selection=${bulk ? selection : null}
      rowLabel=${(row) => row.displayName}
      empty=${Object.values(filters).some(Boolean) ? 'No Cloud PC matches these filters.' : 'No Cloud PCs yet. Assign a provisioning policy to a group of licensed users to make some.'} />
    <${Pager} tenantId=${tenantId} query=${query} nextLink=${poll.data?.nextLink} count=${rows?.length} />
  </${Page}>`;
}

page(LIST, CloudPcs);
