// A tenant's costs over a range: actual against the baseline per day, drawn with its table; the totals and savings by cause; each Spot Group's and site's; the users a cheaper option is recommended for; image builds left waiting; the CSV.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { href, page, setQuery } from '../router.js';
import { ActionButton, AsOf, DataTable, ErrorBanner, Page } from '../ui.js';
import { SAVINGS_CAUSES, costRange, csvName, money, recommended } from '../lib/costs.js';
import { dateTime } from '../lib/format.js';
import { costExport, costReport, userCosts } from '../models/costs.js';
import { useResource } from '../models/resource.js';
import { COST_CURRENCIES } from '../vocabulary.js';
import { CostChart, CostTotals, PricesNote, refusals } from './cost-parts.js';

const hours = (value) => Number((value || 0).toFixed(1)).toLocaleString();

function RangePicker({ range, currency, currencies, query }) {
  const change = (name) => (event) => setQuery({ ...query, [name]: event.currentTarget.value });
  return html`<div class="cost-range">
    <div class="field"><label for="costs-from">From</label>
      <input id="costs-from" type="date" value=${range.from} onChange=${change('from')} /></div>
    <div class="field"><label for="costs-to">To</label>
      <input id="costs-to" type="date" value=${range.to} onChange=${change('to')} /></div>
    ${(currencies.length > 1 || !currencies.includes(currency)) && html`<div class="field"><label for="costs-currency">Currency</label>
      <select id="costs-currency" value=${currency} onChange=${change('currency')}>
        ${currencies.map((code) => html`<option value=${code}>${code}</option>`)}
      </select></div>`}
  </div>`;
}

/** A report's rows (Spot Groups, or sites) with their causes, and the total they add up to. */
function GroupTable({ report, caption, first, link, empty }) {
  const amount = (value) => money(value, report.currency);
  const name = (row) => (row.kind === 'total' ? html`<strong>Total</strong>`
    : link(row) ? html`<a href=${link(row)}>${row.displayName}</a>` : row.displayName);
  const columns = [
    { label: first, class: 'name-cell', render: name },
    { label: 'Actual', class: 'number', render: (row) => amount(row.actual) },
    { label: 'Baseline', class: 'number', render: (row) => amount(row.baseline) },
    { label: 'Saved', class: 'number', render: (row) => amount(row.savings) },
    ...SAVINGS_CAUSES.map((cause) => ({ label: cause.title, class: 'number', render: (row) => amount(row.savingsByCause?.[cause.key]) })),
    { label: 'Hours run', class: 'number', render: (row) => hours(row.runningHours) },
  ];
  const rows = report.value.length ? [...report.value, { ...report.total, key: 'total', kind: 'total', displayName: 'Total' }] : [];
  return html`<${DataTable} caption=${caption} columns=${columns} rows=${rows} rowKey=${(row) => `${row.kind}-${row.key}`} empty=${empty} />`;
}

function Recommendations({ tenantId, range, currency, shownIn }) {
  const poll = useResource(userCosts(tenantId, { ...range, currency }));
  const rows = poll.data && recommended(poll.data);
  const amount = (value) => (value === null || value === undefined ? 'No price' : money(value, shownIn));
  const columns = [
    { label: 'User', class: 'name-cell', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId }, { userId: row.userId })} title="This user's Cloud PCs">${row.userPrincipalName}</a>` },
    { label: 'Connected a month', class: 'number', render: (row) => `${hours(row.connectedHoursPerMonth)} h` },
    { label: 'Windows 365 license', class: 'number', render: (row) => html`${amount(row.windows365Monthly)}${row.samplePrice ? html`<span class="muted cell-line">a sample price</span>` : ''}` },
    { label: 'Cloud PC in your Azure', class: 'number', render: (row) => amount(row.azureMonthly) },
    { label: 'Seat in a pooled Spot Group', class: 'number', render: (row) => amount(row.pooledMonthly) },
    { label: 'Recommendation', class: 'recommendation-cell', render: (row) => html`<strong class="recommended">${row.recommendation}</strong><span class="muted cell-line">${row.evidence}</span>` },
  ];
  return html`<section class="card wide" aria-labelledby="costs-users">
    <div class="section-header"><h2 id="costs-users">Each user: a cheaper way</h2><${AsOf} poll=${poll} /></div>
    <p class="muted">For each user, a month three ways from the hours they were connected: their Windows 365 license, a Cloud PC in
      your Azure that sleeps under the tenant's power rules, and a seat on a pooled Spot Group's host. Listed where one is much cheaper.</p>
    <${ErrorBanner} error=${refusals(poll.error)} title="The comparison could not be made" />
    ${(rows || !poll.error) && html`<${DataTable} caption="Users a cheaper way is recommended for" columns=${columns} rows=${rows}
      rowKey=${(row) => row.userId} empty="No user would cost much less another way." />`}
  </section>`;
}

function WaitingBuilds({ tenantId, report }) {
  const builds = report.waitingBuilds || [];
  if (!builds.length) return null;
  const late = builds.filter((build) => build.warning);
  const columns = [
    { label: 'Image set', class: 'name-cell', render: (build) => html`<a href=${href('/tenants/:tenantId/imageSets/:imageSetId', { tenantId, imageSetId: build.imageSetId })}>${build.imageSetName}</a>` },
    { label: 'Version', render: (build) => build.version },
    { label: 'VM size', render: (build) => build.vmSize },
    { label: 'Waiting since', render: (build) => dateTime(build.waitingSince) },
    { label: 'Hours waiting', class: 'number', render: (build) => html`${hours(build.hoursWaiting)}${build.warning ? html` <span class="badge attention-badge">Over 24 hours</span>` : ''}` },
    { label: 'Cost so far', class: 'number', render: (build) => money(build.costSoFar, report.currency) },
  ];
  return html`<section class="card wide" aria-labelledby="costs-builds">
    <h2 id="costs-builds">Image builds waiting for you</h2>
    ${late.length > 0 && html`<div class="banner warning" role="status"><strong>${late.length === 1 ? 'A build VM has' : `${late.length} build VMs have`} waited over 24 hours</strong>
      <p>Each bills while it waits for your customization: capture the version, or delete it.</p></div>`}
    <${DataTable} caption="Build VMs waiting for customization, and their cost" columns=${columns} rows=${builds}
      rowKey=${(build) => `${build.imageSetId}-${build.version}`} />
  </section>`;
}

function saveFile(blob, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

function Costs({ params, query }) {
  const { tenantId } = params;
  const range = costRange(query);
  const currency = query.currency || '';
  const wanted = { ...range, currency };
  const days = useResource(costReport(tenantId, { ...wanted, groupBy: 'day' }));
  const groups = useResource(costReport(tenantId, { ...wanted, groupBy: 'spotGroup' }));
  const sites = useResource(costReport(tenantId, { ...wanted, groupBy: 'site' }));
  const [failed, setFailed] = useState(null);
  const report = days.data;
  const download = async () => {
    setFailed(null);
    try {
      saveFile(await costExport(tenantId, { ...wanted, groupBy: 'day' }), csvName(tenantId, range));
    } catch (error) {
      setFailed(error);
    }
  };
  const refresh = () => [days, groups, sites].forEach((one) => one.refresh());
  const shownIn = report?.currency || currency || COST_CURRENCIES[0];
  const groupLink = (row) => (row.kind === 'spotGroup' ? href('/tenants/:tenantId/spotGroups/:spotGroupId', { tenantId, spotGroupId: row.key }) : null);
  return html`<${Page} title="Costs" subtitle="What the tenant's VMs and disks cost at list prices, against the same VMs on demand and running 24x7, and what that saved."
    actions=${html`<${RangePicker} range=${range} currency=${shownIn} currencies=${report?.currencies || COST_CURRENCIES} query=${query} />
      <${ActionButton} onClick=${download} busyLabel="Downloading…">Download CSV</${ActionButton}>
      <${AsOf} poll=${{ ...days, refresh }} />`}>
    <${ErrorBanner} error=${refusals(days.error || groups.error || sites.error)} title="The costs could not be read" />
    <${ErrorBanner} error=${refusals(failed)} title="The CSV could not be downloaded" />
    ${report ? html`
      <section class="card wide" aria-labelledby="costs-total">
        <h2 id="costs-total">In total</h2>
        <${PricesNote} report=${report} />
        <${CostTotals} report=${report} label="The range's totals, estimated" />
      </section>
      <section class="card wide" aria-labelledby="costs-daily">
        <h2 id="costs-daily">Each day</h2>
        <${CostChart} report=${report} />
      </section>
      <${WaitingBuilds} tenantId=${tenantId} report=${report} />`
    : !days.error && html`<p class="muted">Loading…</p>`}
    ${groups.data && html`<section class="card wide" aria-labelledby="costs-groups">
      <h2 id="costs-groups">Each Spot Group</h2>
      <p class="muted">Cloud PCs in your Azure and image builds each have a row of their own.</p>
      <${GroupTable} report=${groups.data} caption="Each Spot Group's cost" first="Spot Group" link=${groupLink}
        empty="Nothing cost anything in this range." />
    </section>`}
    ${sites.data && html`<section class="card wide" aria-labelledby="costs-sites">
      <h2 id="costs-sites">Each site</h2>
      <${GroupTable} report=${sites.data} caption="Each site's cost" first="Site" link=${() => null}
        empty="Nothing cost anything in this range." />
    </section>`}
    ${can('listUserCosts', tenantId) && html`<${Recommendations} tenantId=${tenantId} range=${range} currency=${currency} shownIn=${shownIn} />`}
  </${Page}>`;
}

page('/tenants/:tenantId/costs', Costs);
