// One Cloud PC: every field, where its user connects, what it was built with, its actions, its last troubleshooting, its timeline and its user's explanation.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { tenantPath } from '../api.js';
import { href, page } from '../router.js';
import { ActionButton, AsOf, CopyButton, DataTable, Details, ErrorBanner, Failure, NameOf, Notice, Page, StatusBadge, confirm } from '../ui.js';
import { JOIN_TYPES } from '../lib/configuration.js';
import { connectionRows, lastConnected, userAway } from '../lib/cloud-pcs.js';
import { CLOUD_PC_PROVISIONED } from '../vocabulary.js';
import { GroupName } from '../groups.js';
import { dateTime, subnetName, words } from '../lib/format.js';
import { RegionName, SubscriptionName } from '../catalog-names.js';
import { CloudPcActions } from './cloud-pc-actions.js';
import { Explanation } from './cloud-pc-explanation.js';
import { Timeline } from './cloud-pc-timeline.js';
import { cloudPc as cloudPcOf, launchInfo, restore as restoreTo, snapshots, takeSnapshot } from '../models/cloud-pcs.js';
import { useResource } from '../models/resource.js';

const yesNo = (value) => (value ? 'Yes' : 'No');

function Overview({ tenantId, cloudPc }) {
  const c = cloudPc;
  return html`<section class="card wide" aria-labelledby="details-heading">
    <h2 id="details-heading">Details</h2>
    <${Details} items=${[
      ['Status', html`<${StatusBadge} status=${c.status} /><${Failure} detail=${c.statusDetail} />`],
      ['User', html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId }, { userId: c.userId })} title="Every Cloud PC of this user">${c.userPrincipalName}</a>`],
      ['Friendly name', c.displayName],
      ['Device name', c.managedDeviceName],
      ['Plan', c.servicePlanName],
      ['License', `${c.slotIndex + 1}${['st', 'nd', 'rd'][c.slotIndex] || 'th'} of the user's licenses of this plan`],
      ['Provisioning policy', html`<a href=${href('/tenants/:tenantId/policies/:policyId', { tenantId, policyId: c.provisioningPolicyId })}>${c.provisioningPolicyName}</a>`],
      ['Image', c.imageDisplayName],
      ['Provisioned', dateTime(c.provisionedDateTime)],
      c.gracePeriodEndDateTime && ['Grace period ends', dateTime(c.gracePeriodEndDateTime)],
      c.statusBefore && ['Returns to', words(c.statusBefore)],
      c.resizeFromServicePlanId && ['Resizing from plan', c.resizeFromServicePlanId],
      ['Created', dateTime(c.createdDateTime)],
      ['Last modified', dateTime(c.lastModifiedDateTime)],
      c.targetGroupId && ['Through group', html`<${GroupName} tenantId=${tenantId} groupId=${c.targetGroupId} />`],
    ]} />
    <details class="support-details"><summary>Details</summary>
      <p class="muted">What support asks for: the engine's counters and the ids of the last request.</p>
      <${Details} items=${[
        ['Run', c.run], ['Attempt', c.attempt], ['Generation', c.generation],
        c.lastRequestId && ['Last request', html`<code>${c.lastRequestId}</code>`],
        ['Cloud PC id', html`<code>${c.id}</code>`],
      ]} />
    </details>
    ${c.warnings?.length > 0 && html`<div class="banner warning" role="status"><strong>Provisioned with warnings</strong>
      <ul>${c.warnings.map((text) => html`<li>${text}</li>`)}</ul></div>`}
  </section>`;
}

function Build({ cloudPc }) {
  const b = cloudPc.build;
  if (!b && !cloudPc.virtualMachineId) return null;
  return html`<section class="card wide" aria-labelledby="build-heading">
    <h2 id="build-heading">Built with</h2>
    <p class="muted">The policy's settings when this Cloud PC was last provisioned; later edits of the policy do not change them.</p>
    ${b && html`<${Details} items=${[
      ['Image', `${b.imageDisplayName} (${b.imageType})`],
      ['Join', JOIN_TYPES[b.domainJoinType] || b.domainJoinType],
      b.onPremisesConnectionId && ['Connection', html`<a href=${href('/tenants/:tenantId/connections/:connectionId', { tenantId: cloudPc.tenantId, connectionId: b.onPremisesConnectionId })}><${NameOf} path=${tenantPath(cloudPc.tenantId, 'connections', b.onPremisesConnectionId)} id=${b.onPremisesConnectionId} kind="Connection" /></a>`],
      ['Region', html`<${RegionName} name=${b.regionName} />`],
      ['VM size', b.vmSize],
      ['OS disk', `${b.osDiskSizeGb} GB`],
      ['Local administrator', yesNo(b.localAdminEnabled)],
      ['Naming template', html`<code>${b.namingTemplate}</code>`],
      b.adDomainName && ['AD domain', b.adDomainName],
      b.organizationalUnit && ['Organizational unit', b.organizationalUnit],
      b.subscriptionId && ['Subscription', html`<${SubscriptionName} tenantId=${cloudPc.tenantId} id=${b.subscriptionId} />`],
      b.resourceGroup && ['Resource group', b.resourceGroup],
      b.subnetId && ['Subnet', html`<span title=${b.subnetId}>${subnetName(b.subnetId)}</span>`],
    ]} />`}
    ${cloudPc.virtualMachineId && html`<h3>Azure resources</h3><dl class="resource-ids">
      <dt>Virtual machine</dt><dd><code>${cloudPc.virtualMachineId}</code></dd>
      ${cloudPc.networkInterfaceId && html`<dt>Network interface</dt><dd><code>${cloudPc.networkInterfaceId}</code></dd>`}
    </dl>`}
  </section>`;
}

// the addresses an admin hands the user, each to copy; the API answers only while the Cloud PC is provisioned
function Connection({ tenantId, cloudPc }) {
  const poll = useResource(launchInfo(tenantId, cloudPc.id));
  const copyLabel = (label, shown, copied) => `Copy the ${label.toLowerCase()}${copied === shown ? '' : '\'s resource id'}`;
  const items = (poll.data ? connectionRows(poll.data) : []).map(([label, shown, copied]) => [label, copied
    ? html`<code title=${copied === shown ? undefined : copied}>${shown}</code> <${CopyButton} text=${copied} label=${copyLabel(label, shown, copied)} />`
    : shown]);
  const away = userAway(cloudPc);
  return html`<section class="card wide" aria-labelledby="connect-heading">
    <div class="section-header"><h2 id="connect-heading">Where the user connects</h2><${AsOf} poll=${poll} /></div>
    <p class="last-connected">${lastConnected(cloudPc)}${away && html`<br />${away}`}</p>
    <${ErrorBanner} error=${poll.error} title="Where the user connects could not be read" />
    ${poll.data ? html`<${Details} items=${items} />` : !poll.error && html`<p class="muted">Loading…</p>`}
  </section>`;
}

function Troubleshooting({ result }) {
  if (!result) return null;
  return html`<section class="card wide" aria-labelledby="troubleshoot-heading">
    <h2 id="troubleshoot-heading">Last troubleshooting</h2>
    <p><${StatusBadge} status=${result.status === 'healthy' ? 'passed' : 'failed'} label=${words(result.status)} /> <span class="muted">${dateTime(result.dateTime)}</span></p>
    <ul class="checks">${result.checks.map((check) => html`<li key=${check.name}><${StatusBadge} status=${check.status} /> <strong>${words(check.name)}</strong>: ${check.message}</li>`)}</ul>
  </section>`;
}

// Windows 365 takes restore points of the Cloud PCs it provisions (the user settings say how often); an operator
// can take one now, or restore the Cloud PC to one
function RestorePoints({ tenantId, cloudPc }) {
  const poll = useResource(snapshots(tenantId, cloudPc.id));
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const run = async (work, done) => {
    setError(null);
    setMessage(null);
    try {
      await work();
      setMessage(done);
    } catch (failure) {
      setError(failure);
    }
  };
  const restore = async (point) => {
    const question = `Restore ${cloudPc.displayName} to its restore point of ${dateTime(point.createdDateTime)}? Its user is signed out, and what changed on it since then is lost.`;
    if (!(await confirm(question, { title: 'Restore the Cloud PC?', confirmLabel: 'Restore' }))) return;
    await run(() => restoreTo(tenantId, cloudPc.id, point.id),
      'Windows 365 is restoring the Cloud PC: the page follows it.');
  };
  const columns = [
    { label: 'Taken', render: (point) => dateTime(point.createdDateTime) },
    { label: 'Type', render: (point) => words(point.snapshotType) },
    { label: 'Status', render: (point) => html`<${StatusBadge} status=${point.status} />` },
    { label: 'Expires', render: (point) => dateTime(point.expirationDateTime) },
    { label: 'Last restored', render: (point) => dateTime(point.lastRestoredDateTime) },
    ...(can('restoreCloudPc', tenantId) ? [{ label: 'Actions', render: (point) => html`<${ActionButton} kind="subtle"
      label=${`Restore to ${dateTime(point.createdDateTime)}`} onClick=${() => restore(point)} busyLabel="Restoring…">Restore</${ActionButton}>` }] : []),
  ];
  return html`<section class="card wide" aria-labelledby="restore-points-heading">
    <div class="section-header"><h2 id="restore-points-heading">Restore points</h2><${AsOf} poll=${poll} />
      ${can('createCloudPcSnapshot', tenantId) && html`<${ActionButton} onClick=${() => run(() => takeSnapshot(tenantId, cloudPc.id), 'Windows 365 is taking a restore point.')} busyLabel="Asking…">Take a restore point now</${ActionButton}>`}</div>
    <${ErrorBanner} error=${poll.error} title="Windows 365's restore points could not be read" />
    <${ErrorBanner} error=${error} title="Not done" />
    ${message && html`<${Notice} kind="success">${message}</${Notice}>`}
    <${DataTable} caption="Restore points" columns=${columns} rows=${poll.data}
      empty="None yet: Windows 365 takes the first one at the interval its user settings give (12 hours unless a setting says otherwise)." />
  </section>`;
}

function CloudPcPage({ params }) {
  const { tenantId, cloudPcId } = params;
  const poll = useResource(cloudPcOf(tenantId, cloudPcId));
  const cloudPc = poll.data?.cloudPc;
  const title = cloudPc ? cloudPc.displayName : poll.data ? 'Deprovisioned Cloud PC' : 'Cloud PC';
  const back = html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId })}>All Cloud PCs</a>${cloudPc ? html` · <${StatusBadge} status=${cloudPc.status} />` : ''}`;
  return html`<${Page} title=${title} subtitle=${back} actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} title=${poll.error?.status === 404 ? 'No such Cloud PC' : 'The Cloud PC could not be read'} />
    ${poll.data && !cloudPc && html`<${Notice}>This Cloud PC was deprovisioned: only its timeline remains.</${Notice}>`}
    ${cloudPc && html`<${Overview} tenantId=${tenantId} cloudPc=${cloudPc} />`}
    ${cloudPc && html`<${CloudPcActions} tenantId=${tenantId} cloudPc=${cloudPc} />`}
    ${CLOUD_PC_PROVISIONED.includes(cloudPc?.status) && can('getCloudPcLaunchInfo', tenantId) && html`<${Connection} tenantId=${tenantId} cloudPc=${cloudPc} />`}
    ${poll.data && html`<section class="card wide" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <${Timeline} events=${poll.data.events} asOf=${poll.asOf} />
    </section>`}
    <${Troubleshooting} result=${cloudPc?.lastTroubleshootResult} />
    ${cloudPc?.windows365Id && can('listCloudPcSnapshots', tenantId) && html`<${RestorePoints} tenantId=${tenantId} cloudPc=${cloudPc} />`}
    ${cloudPc && html`<${Explanation} tenantId=${tenantId} userId=${cloudPc.userId} cloudPcId=${cloudPc.id} version=${cloudPc.lastModifiedDateTime} />`}
    ${cloudPc && html`<${Build} cloudPc=${cloudPc} />`}
  </${Page}>`;
}

page('/tenants/:tenantId/cloudPCs/:cloudPcId', CloudPcPage);
