// Bulk actions: a tenant's recent ones, and one with its progress and every Cloud PC's result and reason as they come.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { href, page } from '../router.js';
import { AsOf, DataTable, Details, ErrorBanner, Failure, Page, StatusBadge } from '../ui.js';
import { actionLabel } from '../lib/cloud-pcs.js';
import { dateTime, plural } from '../lib/format.js';
import { bulkAction, bulkActionList } from '../models/bulk-actions.js';
import { servicePlans } from '../models/catalog.js';
import { cloudPcName } from '../models/cloud-pcs.js';
import { useResource } from '../models/resource.js';

const NAMED_AT_MOST = 200; // names are read one Cloud PC at a time: a huge bulk action shows ids past these

/** Names of the Cloud PCs behind `ids`, read once each; a deprovisioned one is named so. */
function useNames(tenantId, ids) {
  const [names, setNames] = useState({});
  const wanted = ids.slice(0, NAMED_AT_MOST).join();
  useEffect(() => {
    let live = true;
    const missing = wanted ? wanted.split(',').filter((id) => !(id in names)) : [];
    (async () => {
      for (let start = 0; start < missing.length && live; start += 8) {
        const batch = missing.slice(start, start + 8);
        const found = await Promise.all(batch.map(async (id) => [id, await cloudPcName(tenantId, id)]));
        if (live) setNames((old) => ({ ...old, ...Object.fromEntries(found) }));
      }
    })();
    return () => { live = false; };
  }, [tenantId, wanted]);
  return names;
}

const total = (counts) => counts.succeeded + counts.failed + counts.running;

function BulkActions({ params }) {
  const { tenantId } = params;
  const poll = useResource(bulkActionList(tenantId));
  const rows = poll.data && [...poll.data].sort((a, b) => (a.createdDateTime < b.createdDateTime ? 1 : -1));
  const columns = [
    { label: 'Action', render: (row) => html`<a href=${href('/tenants/:tenantId/bulkActions/:bulkActionId', { tenantId, bulkActionId: row.id })}>${actionLabel(row.action)} ${plural(total(row.counts), 'Cloud PC')}</a>` },
    { label: 'Status', render: (row) => html`<${StatusBadge} status=${row.status} />` },
    { label: 'Succeeded', class: 'number', render: (row) => row.counts.succeeded },
    { label: 'Failed', class: 'number', render: (row) => row.counts.failed },
    { label: 'Not done yet', class: 'number', render: (row) => row.counts.running },
    { label: 'Started', render: (row) => dateTime(row.createdDateTime) },
    { label: 'Last change', render: (row) => dateTime(row.lastModifiedDateTime) },
  ];
  return html`<${Page} title="Bulk actions" subtitle="One action on many Cloud PCs, each reported on its own." actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} />
    <${DataTable} caption="Recent bulk actions, newest first" columns=${columns} rows=${rows}
      empty=${html`None yet. Select Cloud PCs on <a href=${href('/tenants/:tenantId/cloudPCs', { tenantId })}>All Cloud PCs</a> to act on several at once.`} />
  </${Page}>`;
}

function BulkActionPage({ params }) {
  const { tenantId, bulkActionId } = params;
  const poll = useResource(bulkAction(tenantId, bulkActionId));
  const plans = useResource(servicePlans);
  const bulk = poll.data;
  const names = useNames(tenantId, bulk ? bulk.results.map((item) => item.cloudPcId) : []);
  const count = bulk ? bulk.results.length : 0;
  const done = bulk ? bulk.counts.succeeded + bulk.counts.failed : 0;
  // an id in <code> until its name is read (at most NAMED_AT_MOST are), as NameOf shows one
  const name = (id) => (names[id] === null ? html`<code>${id}</code> (deprovisioned)` : names[id] || html`<code>${id}</code>`);
  const columns = [
    { label: 'Cloud PC', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs/:cloudPcId', { tenantId, cloudPcId: row.cloudPcId })}>${name(row.cloudPcId)}</a>` },
    { label: 'Result', render: (row) => html`<${StatusBadge} status=${row.status} />` },
    { label: 'Reason', render: (row) => (row.error ? html`<${Failure} detail=${row.error} compact />` : row.status === 'succeeded' ? 'Done: the Cloud PC\'s timeline records it.' : 'Waiting its turn.') },
  ];
  const failedFirst = bulk && [...bulk.results].sort((a, b) => (b.status === 'failed') - (a.status === 'failed'));
  const title = bulk ? `${actionLabel(bulk.action)} ${plural(count, 'Cloud PC')}` : 'Bulk action';
  const plan = bulk?.targetServicePlanId && (plans.data?.find((one) => one.id === bulk.targetServicePlanId)?.displayName || bulk.targetServicePlanId);
  return html`<${Page} title=${title} subtitle=${html`<a href=${href('/tenants/:tenantId/bulkActions', { tenantId })}>All bulk actions</a>`} actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} title=${poll.error?.status === 404 ? 'No such bulk action' : 'The bulk action could not be read'} />
    ${bulk && html`<section class="card wide" aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <label class="progress-label" for="bulk-progress">${done} of ${count} done${bulk.counts.failed ? `, ${bulk.counts.failed} failed` : ''}</label>
      <progress id="bulk-progress" max=${count || 1} value=${done}>${done} of ${count}</progress>
      <${Details} items=${[
        ['Status', html`<${StatusBadge} status=${bulk.status} />`],
        ['Action', actionLabel(bulk.action)],
        plan && ['Target plan', plan],
        ['Succeeded', bulk.counts.succeeded],
        ['Failed', bulk.counts.failed],
        ['Not done yet', bulk.counts.running],
        ['Started', dateTime(bulk.createdDateTime)],
        ['Last change', dateTime(bulk.lastModifiedDateTime)],
      ]} />
    </section>`}
    <${DataTable} caption="Each Cloud PC's result, failures first" columns=${columns} rows=${failedFirst} rowKey=${(row) => row.cloudPcId} />
  </${Page}>`;
}

page('/tenants/:tenantId/bulkActions', BulkActions);
page('/tenants/:tenantId/bulkActions/:bulkActionId', BulkActionPage);
