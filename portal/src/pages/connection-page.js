// One Azure network connection: its health checks as they run, a retry, rename, new credentials and delete.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { go, href } from '../router.js';
import { ActionButton, AsOf, DataTable, Details, ErrorBanner, Field, Notice, Page, StatusBadge, confirm, useForm } from '../ui.js';
import { HYBRID, JOIN_TYPES, credentialPatch, shortResourceId } from '../lib/configuration.js';
import { dateTime, plural, subnetName, time } from '../lib/format.js';
import { connection as connectionOf, deleteConnection, runHealthChecks, updateConnection } from '../models/connections.js';
import { useResource } from '../models/resource.js';
import { RegionName, SubscriptionName } from '../catalog-names.js';
import { CONNECTION_CHECKING } from '../vocabulary.js';

const VERDICT = {
  passed: ['success', 'Every check passed: provisioning policies can use this connection.'],
  warning: ['warning', 'Usable, with a warning: policies can use this connection; look at the check that warns.'],
  informational: ['success', 'Usable: policies can use this connection.'],
  failed: ['error', 'A check failed: policies cannot use this connection until it passes. Do what the failed check recommends, then retry.'],
};

/** A change made from the version the page read: a 412 means someone else changed it in between. */
async function patchConnection(tenantId, connection, body) {
  try {
    return await updateConnection(tenantId, connection, body);
  } catch (error) {
    if (error.status === 412) error.message = 'Someone changed this connection since the page read it; the page now shows their change: check it and save again.';
    throw error;
  }
}

// Windows 365 checks a connection again every 6 hours: when its next check comes, from when the last one ended
const WINDOWS365_RECHECK_MS = 6 * 3600 * 1000;
const nextCheck = (detail) => (detail.endDateTime ? new Date(Date.parse(detail.endDateTime) + WINDOWS365_RECHECK_MS).toISOString() : null);

function HealthChecks({ connection, tenantId, onSaved }) {
  const [error, setError] = useState(null);
  const detail = connection.healthCheckStatusDetail || {};
  const checks = detail.healthChecks || [];
  const done = checks.filter((check) => !CONNECTION_CHECKING.includes(check.status)).length;
  const checking = CONNECTION_CHECKING.includes(connection.healthCheckStatus);
  const verdict = VERDICT[connection.healthCheckStatus];
  const byWindows365 = connection.cloudPcBackend === 'windows365';  // Graph lets no app start its checks
  const retry = async () => {
    setError(null);
    try {
      await runHealthChecks(tenantId, connection.id);
      onSaved('The health checks run again: this page follows them.');
    } catch (failure) {
      setError(failure);
    }
  };
  const columns = [
    { label: 'Check', key: 'displayName' },
    { label: 'Status', render: (check) => html`<${StatusBadge} status=${check.status} />` },
    { label: 'Error', render: (check) => (check.errorType ? html`<code>${check.errorType}</code>` : '—') },
    { label: 'Recommended action', render: (check) => check.recommendedAction || '—' },
    { label: 'Started', class: 'nowrap', render: (check) => time(check.startDateTime) },
    { label: 'Ended', class: 'nowrap', render: (check) => time(check.endDateTime) },
  ];
  return html`<section class="card wide" aria-labelledby="checks-heading">
    <div class="section-header">
      <h2 id="checks-heading">Health checks</h2>
      <${StatusBadge} status=${connection.healthCheckStatus} />
      ${can('runHealthChecks', tenantId) && !byWindows365 && html`<${ActionButton} onClick=${retry} disabled=${checking} busyLabel="Starting…">Retry health checks</${ActionButton}>`}
    </div>
    ${byWindows365 && html`<p class="muted">Windows 365 checks this connection itself: when it is made or changed, and every 6 hours. This page shows its latest results.
      ${nextCheck(detail) && html` Its next check comes by ${dateTime(nextCheck(detail))}; to have it sooner, change the connection (renaming it will do), and Windows 365 checks it again at once.`}</p>`}
    <${ErrorBanner} error=${error} />
    ${checking && html`<label class="progress-label" for="checks-progress">${done} of ${plural(checks.length, 'check')} done</label>
      <progress id="checks-progress" max=${checks.length || 1} value=${done}></progress>`}
    ${verdict && html`<div class=${`banner ${verdict[0]}`}>${verdict[1]}</div>`}
    <p class="muted">Run ${connection.healthCheckRun} · started ${dateTime(detail.startDateTime)} · ended ${dateTime(detail.endDateTime)}</p>
    <${DataTable} caption="Health checks of this run" columns=${columns} rows=${checks} rowKey=${(check) => check.name} empty="No check has run yet." />
  </section>`;
}

function Rename({ connection, tenantId, onSaved }) {
  const form = useForm({ displayName: connection.displayName });
  const save = async () => {
    form.clear();
    try {
      await patchConnection(tenantId, connection, { displayName: form.values.displayName });
      onSaved('Renamed.');
    } catch (error) {
      form.fail(error);
      if (error.status === 412) onSaved(null);
    }
  };
  return html`<form class="inline-form" onSubmit=${(event) => { event.preventDefault(); save(); }}>
    <${Field} form=${form} name="displayName" label="Display name" required />
    <${ActionButton} type="submit" onClick=${save} busyLabel="Saving…">Rename</${ActionButton}>
    ${form.errors.general.length > 0 && html`<${ErrorBanner} error=${form.errors.general} />`}
  </form>`;
}

function Credentials({ connection, tenantId, onSaved }) {
  const initial = {
    adDomainName: connection.adDomainName || '', adDomainUsername: connection.adDomainUsername || '',
    adDomainPassword: '', organizationalUnit: connection.organizationalUnit || '',
  };
  const form = useForm(initial);
  const save = async () => {
    form.clear();
    const patch = credentialPatch(connection, form.values);
    if (!Object.keys(patch).length) {
      form.fail({ message: 'Nothing changed: type a new value first.', details: [] });
      return;
    }
    try {
      await patchConnection(tenantId, connection, patch);
      form.setValues({ ...form.values, adDomainPassword: '' });
      onSaved('Credentials saved: the health checks run again.');
    } catch (error) {
      form.fail(error);
      if (error.status === 412) onSaved(null);
    }
  };
  return html`<form onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="credentials-heading">
    <h3 id="credentials-heading">Domain credentials</h3>
    <p class="muted">Saving new credentials runs every health check again.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="adDomainName" label="AD domain name" required />
    <${Field} form=${form} name="adDomainUsername" label="AD domain username" required />
    <${Field} form=${form} name="adDomainPassword" label="New AD domain password" type="password" autocomplete="new-password"
      hint="The stored password is never shown. Leave empty to keep it." />
    <${Field} form=${form} name="organizationalUnit" label="Organizational unit" hint="Empty: the domain's default computers container." />
    <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">Save credentials and re-run checks</${ActionButton}>
  </form>`;
}

export function ConnectionPage({ params, query }) {
  const { tenantId, connectionId } = params;
  const poll = useResource(connectionOf(tenantId, connectionId));
  const [saved, setSaved] = useState(query.created ? 'Connection created: its health checks run now, and this page follows them.' : null);
  const [deleteError, setDeleteError] = useState(null);
  const connection = poll.data;
  const list = href('/tenants/:tenantId/connections', { tenantId });
  if (!connection) {
    return html`<${Page} title="Connection"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}
      <p><a href=${list}>All connections</a></p></${Page}>`;
  }
  const onSaved = (message) => setSaved(message);
  const remove = async () => {
    const question = `Delete the connection ${connection.displayName}? Its credentials are deleted with it; Cloud PCs already provisioned keep their network.`;
    if (!(await confirm(question, { title: 'Delete connection?', confirmLabel: 'Delete' }))) return;
    setDeleteError(null);
    try {
      await deleteConnection(tenantId, connectionId);
      go('/tenants/:tenantId/connections', { tenantId });
    } catch (error) {
      setDeleteError(error);
    }
  };
  const hybrid = connection.connectionType === HYBRID;
  return html`<${Page} title=${connection.displayName} subtitle=${html`${JOIN_TYPES[connection.connectionType]} · <${RegionName} name=${connection.regionName} />`}
      actions=${html`<${AsOf} poll=${poll} />
        ${can('deleteConnection', tenantId) && html`<${ActionButton} kind="danger" onClick=${remove} busyLabel="Deleting…">Delete</${ActionButton}>`}`}>
    <p><a href=${list}>All connections</a></p>
    ${saved && html`<${Notice} kind="success">${saved}</${Notice}>`}
    ${deleteError && html`<div class="banner error" role="alert"><strong>Not deleted</strong><p>${deleteError.message}</p>
      ${deleteError.code === 'inUse' && html`<p>A provisioning policy still uses this connection for its network. Change that policy to another
        network, or delete it, then delete the connection. <a href=${href('/tenants/:tenantId/policies', { tenantId })}>Provisioning policies</a></p>`}</div>`}
    <${ErrorBanner} error=${poll.error} title="The connection could not be read again" />
    <${HealthChecks} connection=${connection} tenantId=${tenantId} onSaved=${onSaved} />
    <section class="card wide" aria-labelledby="details-heading">
      <h2 id="details-heading">Details</h2>
      <${Details} items=${[
        ['Join type', JOIN_TYPES[connection.connectionType]],
        ['Region', html`<${RegionName} name=${connection.regionName} />`],
        ['Subscription', html`<${SubscriptionName} tenantId=${tenantId} id=${connection.subscriptionId} />`],
        ['Resource group', connection.resourceGroupName],
        ['Virtual network', shortResourceId(connection.virtualNetworkId, 1)],
        ['Subnet', connection.subnetId ? html`<span title=${connection.subnetId}>${subnetName(connection.subnetId)}</span>` : '—'],
        hybrid && ['AD domain', connection.adDomainName],
        hybrid && ['AD domain username', connection.adDomainUsername],
        hybrid && ['Organizational unit', connection.organizationalUnit || 'Default computers container'],
        ['In use', connection.inUse ? 'Yes: a provisioning policy uses it' : 'No'],
        ['Created', dateTime(connection.createdDateTime)],
        ['Modified', dateTime(connection.lastModifiedDateTime)],
      ]} />
    </section>
    ${can('updateConnection', tenantId) && html`<section class="card" aria-labelledby="edit-heading">
      <h2 id="edit-heading">Edit</h2>
      <${Rename} key=${`name-${connection.id}`} connection=${connection} tenantId=${tenantId} onSaved=${onSaved} />
      ${hybrid && html`<${Credentials} key=${`credentials-${connection.id}`} connection=${connection} tenantId=${tenantId} onSaved=${onSaved} />`}
    </section>`}
  </${Page}>`;
}
