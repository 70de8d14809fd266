// Who may do what on a tenant (role assignments), and what everyone did (the audit log).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can, me } from '../access.js';
import { href, page, setQuery } from '../router.js';
import { ActionButton, AsOf, CopyButton, DataTable, Details, ErrorBanner, Field, Notice, Page, StatusBadge, confirm, useForm } from '../ui.js';
import { dateTime, words } from '../lib/format.js';
import { assignmentBody, invitationBody, principalLabel } from '../lib/people.js';
import { ROLES } from '../lib/roles.js';
import { addRoleAssignment, auditEvents, inviteToRole, removeRoleAssignment, roleAssignments } from '../models/access.js';
import { PrincipalPicker } from '../people.js';
import { useResource } from '../models/resource.js';

const ROLE_HELP = {
  reader: 'reads everything',
  operator: 'reads, and runs Cloud PC actions',
  administrator: 'all configuration and actions',
  owner: 'everything, including who has access',
};

const DIRECTORIES = [
  { value: 'organization', label: 'Your organization (its staff, guests and apps)' },
  { value: 'tenant', label: "This tenant's own directory (the customer's admins)" },
];
const ROLE_OPTIONS = ROLES.map((role) => ({ value: role, label: `${words(role)}: ${ROLE_HELP[role]}` }));

function AddAssignment({ tenantId }) {
  // the server names principalId or userPrincipalName: both are the picker's to show
  const form = useForm({ directory: 'organization', role: 'reader' }, ['directory', 'role', 'principalId', 'userPrincipalName']);
  const [principal, setPrincipal] = useState(null);
  const submit = async () => {
    form.clear();
    try {
      await addRoleAssignment(tenantId, principal ? assignmentBody(principal, form.values.role) : { role: form.values.role });
      setPrincipal(null);
    } catch (error) {
      form.fail(error);
    }
  };
  const pickError = form.errors.fields.principalId || form.errors.fields.userPrincipalName;
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); submit(); }} aria-labelledby="new-assignment">
    <h2 id="new-assignment">Give someone access</h2>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="directory" label="Look in" type="select" options=${DIRECTORIES} />
    <${PrincipalPicker} tenantId=${tenantId} directory=${form.values.directory} value=${principal} onChange=${setPrincipal} error=${pickError} />
    <${Field} form=${form} name="role" label="Role" type="select" options=${ROLE_OPTIONS} />
    <${ActionButton} type="submit" kind="primary" onClick=${submit} busyLabel="Adding…">Add role assignment</${ActionButton}>
  </form>`;
}

function InviteByEmail({ tenantId }) {
  const initial = { email: '', displayName: '', role: 'reader', sendInvitationMessage: true };
  const form = useForm(initial);
  const [invited, setInvited] = useState(null);
  const submit = async () => {
    form.clear();
    setInvited(null);
    try {
      setInvited(await inviteToRole(tenantId, invitationBody(form.values)));
      form.setValues({ ...initial, role: form.values.role });
    } catch (error) {
      form.fail(error);
    }
  };
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); submit(); }} aria-labelledby="invite-by-email">
    <h2 id="invite-by-email">Invite by e-mail</h2>
    <p class="hint">Someone outside your organization becomes a guest of it, with the role at once: it takes effect when they accept the invitation and sign in.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="email" label="E-mail" type="email" required autocomplete="off" />
    <${Field} form=${form} name="displayName" label="Their name" autocomplete="off" />
    <${Field} form=${form} name="role" label="Role" type="select" options=${ROLE_OPTIONS} />
    <${Field} form=${form} name="sendInvitationMessage" label="Microsoft e-mails the invitation" type="checkbox" />
    <${ActionButton} type="submit" kind="primary" onClick=${submit} busyLabel="Inviting…">Invite</${ActionButton}>
    ${invited && html`<${Notice}>${principalLabel(invited.roleAssignment)} is invited as ${words(invited.roleAssignment.role)}.
      ${invited.inviteRedeemUrl
        ? html` Send them this link: <code class="redeem-link">${invited.inviteRedeemUrl}</code> <${CopyButton} text=${invited.inviteRedeemUrl} label="Copy the invitation link" />`
        : ' Microsoft has e-mailed them the invitation.'}</${Notice}>`}
  </form>`;
}

function RoleAssignments({ params }) {
  const { tenantId } = params;
  const poll = useResource(roleAssignments(tenantId));
  const [error, setError] = useState(null);
  const remove = async (assignment) => {
    const who = assignment.principalName || assignment.principalId;
    if (!(await confirm(`Remove ${who}'s ${assignment.role} role on this tenant? They lose access at once.`, { confirmLabel: 'Remove' }))) return;
    setError(null);
    try {
      await removeRoleAssignment(tenantId, assignment);
    } catch (failure) {
      setError(failure);
    }
  };
  const columns = [
    { label: 'Principal', render: (row) => html`${principalLabel(row)}${row.principalType ? html` <span class="muted">${words(row.principalType)}</span>` : null}` },
    { label: 'Role', render: (row) => html`<${StatusBadge} status=${row.role} />` },
    { label: 'Given', render: (row) => dateTime(row.createdDateTime) },
    { label: 'Actions', render: (row) => can('deleteRoleAssignment', tenantId) && html`<${ActionButton} kind="subtle" onClick=${() => remove(row)} label=${`Remove ${row.principalName || row.principalId}`}>Remove</${ActionButton}>` },
  ];
  return html`<${Page} title="Role assignments" subtitle="Roles are per tenant: reader < operator < administrator < owner.">
    <${ErrorBanner} error=${poll.error || error} />
    <${DataTable} caption="Who has access" columns=${columns} rows=${poll.data} />
    ${can('createRoleAssignment', tenantId) && html`<${AddAssignment} tenantId=${tenantId} />`}
    ${can('createRoleInvitation', tenantId) && html`<${InviteByEmail} tenantId=${tenantId} />`}
  </${Page}>`;
}

const RESOURCE_TYPES = ['', 'tenant', 'site', 'connection', 'deviceImage', 'provisioningPolicy', 'cloudPC', 'bulkAction', 'roleAssignment', 'roleInvitation', 'imageSet', 'spotGroup'];

function Changes({ changes }) {
  if (!changes?.length) return html`<span class="muted">—</span>`;
  // a field's value as it was stored: data, shown as such
  const show = (value) => (value === null || value === undefined ? '—' : html`<code>${typeof value === 'object' ? JSON.stringify(value) : String(value)}</code>`);
  return html`<details><summary>${changes.length === 1 ? '1 field' : `${changes.length} fields`}</summary>
    <ul class="changes">${changes.map((change) => html`<li><strong>${change.field}</strong>: ${show(change.oldValue)} → ${show(change.newValue)}</li>`)}</ul>
  </details>`;
}

function AuditLog({ params, query }) {
  const { tenantId } = params;
  const filters = { actorId: query.actorId || '', resourceType: query.resourceType || '', since: query.since || '' };
  const form = useForm({ ...filters, since: filters.since ? filters.since.slice(0, 16) : '' });
  const [pageLink, setPageLink] = useState(null);
  const poll = useResource(auditEvents(tenantId, filters, pageLink));
  const apply = (event) => {
    event.preventDefault();
    setPageLink(null);
    const since = form.values.since ? new Date(form.values.since).toISOString() : '';
    setQuery({ actorId: form.values.actorId.trim(), resourceType: form.values.resourceType, since });
  };
  const columns = [
    { label: 'When', render: (row) => dateTime(row.activityDateTime) },
    { label: 'Who', render: (row) => html`${row.actor?.name || row.actor?.principalId}${row.source === 'windows365' ? html`<br /><span class="badge">Windows 365</span>` : null}` },
    { label: 'Activity', render: (row) => words(row.activity) },
    { label: 'Resource', render: (row) => html`${words(row.resourceType)}${row.resourceDisplayName || row.resourceId ? html`<br />${row.resourceDisplayName ? html`<span class="muted">${row.resourceDisplayName}</span>` : html`<code class="muted">${row.resourceId}</code>`}` : null}` },
    { label: 'Result', render: (row) => html`<${StatusBadge} status=${row.result} />${row.errorCode ? html` <span class="muted">${row.errorCode}</span>` : null}` },
    { label: 'Changes', render: (row) => html`<${Changes} changes=${row.changes} />` },
  ];
  return html`<${Page} title="Audit log" subtitle="Every change and action through the API, successful, failed or refused. Secrets show as ***." actions=${html`<${AsOf} poll=${poll} />`}>
    <form class="toolbar" onSubmit=${apply} aria-label="Filter the audit log">
      <${Field} form=${form} name="actorId" label="Actor id" />
      <${Field} form=${form} name="resourceType" label="Resource type" type="select" options=${RESOURCE_TYPES.map((type) => ({ value: type, label: type ? words(type) : 'Any' }))} />
      <${Field} form=${form} name="since" label="Since" type="datetime-local" />
      <button type="submit" class="button primary">Apply filters</button>
    </form>
    <${ErrorBanner} error=${poll.error} />
    <${DataTable} caption="Events, newest first" columns=${columns} rows=${poll.data?.value} empty="No events match." />
    <div class="pager">
      ${pageLink && html`<button type="button" class="button secondary" onClick=${() => setPageLink(null)}>First page</button>`}
      ${poll.data?.nextLink && html`<button type="button" class="button secondary" onClick=${() => setPageLink(poll.data.nextLink)}>Next page</button>`}
    </div>
  </${Page}>`;
}

function Me() {
  const caller = me.value;
  const columns = [
    { label: 'Tenant', render: (row) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId: row.tenantId })}>${row.displayName}</a>` },
    { label: 'Your role', render: (row) => html`<${StatusBadge} status=${row.role} />` },
  ];
  return html`<${Page} title="Your access">
    <${Details} items=${[
      ['Name', caller.name],
      ['Principal id', html`<code>${caller.principalId}</code>`],
      ['Home tenant', caller.homeTenantId && html`<code>${caller.homeTenantId}</code>`],
      ['Organization owner', caller.organizationOwner ? 'Yes: owner of every tenant, and may add tenants' : 'No'],
    ]} />
    <${Notice}>To be given a role on a tenant, ask one of its owners: they find you by name.</${Notice}>
    <${DataTable} caption="Your roles" columns=${columns} rows=${caller.tenants} rowKey=${(row) => row.tenantId} empty="No roles on any tenant yet." />
  </${Page}>`;
}

page('/me', Me);
page('/tenants/:tenantId/roleAssignments', RoleAssignments);
page('/tenants/:tenantId/audit', AuditLog);
