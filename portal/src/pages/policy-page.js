// One provisioning policy: its settings, its groups with the same review plan as the wizard, edit and delete.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { GroupName, GroupPicker } from '../groups.js';
import { go, href } from '../router.js';
import { ActionButton, AsOf, DataTable, Details, ErrorBanner, Field, Notice, Page, confirm, useForm } from '../ui.js';
import { DEFAULT_LOCALE, JOIN_TYPES, networkOf, policyPatch, policyValues } from '../lib/configuration.js';
import { dateTime, plural } from '../lib/format.js';
import {
  ConfigurationFields, ImageFields, NetworkFields, PlanReview, SettingsFields, policyStatusBadge, sleepsCloudPcs, usePolicyChoices,
} from './policy-parts.js';
import { powerRulesText } from '../lib/session-policies.js';
import { LanguageName } from '../catalog-names.js';
import { usersServedBy } from '../models/cloud-pcs.js';
import { connectionList } from '../models/connections.js';
import { firstGroups } from '../models/directory.js';
import { assignPolicy, checkAssignment, deletePolicy, policy as policyOf, updatePolicy } from '../models/policies.js';
import { useResource } from '../models/resource.js';

function Assignments({ policy, tenantId, names, onChanged }) {
  const current = policy.assignments.map((assignment) => ({ id: assignment.groupId, displayName: names[assignment.groupId] }));
  const [groups, setGroups] = useState(null); // null: not changing them
  const [review, setReview] = useState(null);
  const [error, setError] = useState(null);
  const check = async () => {
    setError(null);
    try {
      const [answer, served] = await Promise.all([checkAssignment(tenantId, policy.id, groups), usersServedBy(tenantId, policy.id)]);
      setReview({ plan: answer.plan, served });
    } catch (failure) {
      setError(failure);
    }
  };
  const apply = async () => {
    setError(null);
    try {
      await assignPolicy(tenantId, policy.id, groups);
      setGroups(null);
      setReview(null);
      onChanged('Assignments saved: Cloud PCs are being provisioned or removed to match.');
    } catch (failure) {
      setError(failure);
      setReview(null);
    }
  };
  const change = (next) => {
    setGroups(next);
    setReview(null);
  };
  const columns = [
    { label: 'Group', render: (assignment) => names[assignment.groupId] || html`<${GroupName} tenantId=${tenantId} groupId=${assignment.groupId} />` },
    { label: 'Group id', render: (assignment) => html`<code>${assignment.groupId}</code>` },
    { label: 'Assigned', render: (assignment) => dateTime(assignment.assignedDateTime) },
  ];
  const messages = error && (error.details?.length ? error.details.map((detail) => detail.message) : [error.message]);
  return html`<section class="card wide" aria-labelledby="assignments-heading">
    <div class="section-header"><h2 id="assignments-heading">Assignments</h2>${policyStatusBadge(policy)}</div>
    <${DataTable} caption="Assigned groups" columns=${columns} rows=${policy.assignments} rowKey=${(assignment) => assignment.id}
      empty="Not assigned: no Cloud PC is made from this policy until it is assigned to a group." />
    ${can('assignProvisioningPolicy', tenantId) && groups === null
      && html`<button type="button" class="button secondary" onClick=${() => change(current)}>Change assignments</button>`}
    ${groups !== null && html`<${GroupPicker} tenantId=${tenantId} value=${groups} onChange=${change} label="Groups after the change"
        error=${messages?.join(' ')} hint="Find a group by the start of its name, or paste its object id. Removing a group takes Cloud PCs from its users after the grace period." />
      ${review && html`<h3>What the change would do</h3><${PlanReview} plan=${review.plan} served=${review.served} groupNames=${Object.fromEntries(groups.map((group) => [group.id, group.displayName]))} />`}
      <div class="wizard-actions">
        ${review
          ? html`<${ActionButton} kind="primary" onClick=${apply} busyLabel="Saving…">${groups.length ? 'Apply the assignment' : 'Remove every assignment'}</${ActionButton}>`
          : html`<${ActionButton} kind="primary" onClick=${check} busyLabel="Working it out…">Review the change</${ActionButton}>`}
        <button type="button" class="button secondary" onClick=${() => { setGroups(null); setReview(null); setError(null); }}>Cancel</button>
      </div>`}
  </section>`;
}

function EditPolicy({ policy, tenantId, onSaved, onCancel }) {
  const form = useForm(policyValues(policy));
  const choices = usePolicyChoices(tenantId);
  const save = async () => {
    form.clear();
    const patch = policyPatch(policy, form.values);
    if (!Object.keys(patch).length) {
      form.fail({ message: 'Nothing changed.', details: [] });
      return;
    }
    try {
      await updatePolicy(tenantId, policy, patch);
      onSaved('Saved. Cloud PCs provisioned from now on use the new settings.');
    } catch (error) {
      if (error.status === 412) error.message = 'Someone changed this policy since the page read it; cancel to see their change, then edit again.';
      form.fail(error);
    }
  };
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="edit-heading">
    <h2 id="edit-heading">Edit the policy</h2>
    <${Notice} kind="warning">Edits are not retroactive: Cloud PCs already provisioned keep the network, image and settings they were
      made with. Reprovision a Cloud PC to give it the new ones.</${Notice}>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="displayName" label="Name" required />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows="2" />
    <${NetworkFields} form=${form} choices=${choices} tenantId=${tenantId} />
    <${ImageFields} form=${form} choices=${choices} tenantId=${tenantId} />
    <${SettingsFields} form=${form} tenantId=${tenantId} />
    <${ConfigurationFields} form=${form} choices=${choices} tenantId=${tenantId} />
    <div class="wizard-actions">
      <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">Save changes</${ActionButton}>
      <button type="button" class="button secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

export function PolicyPage({ params, query }) {
  const { tenantId, policyId } = params;
  const poll = useResource(policyOf(tenantId, policyId));
  const groups = useResource(firstGroups(tenantId)); // the names of its groups, best effort
  const connections = useResource(connectionList(tenantId));
  const [message, setMessage] = useState(query.assigned ? 'Policy created and assigned: Cloud PCs are being provisioned for its users.' : query.created ? 'Policy created. Assign it to groups to provision Cloud PCs.' : null);
  const [editing, setEditing] = useState(false);
  const [deleteError, setDeleteError] = useState(null);
  const policy = poll.data;
  const list = href('/tenants/:tenantId/policies', { tenantId });
  if (!policy) {
    return html`<${Page} title="Provisioning policy"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}
      <p><a href=${list}>All provisioning policies</a></p></${Page}>`;
  }
  const names = Object.fromEntries((groups.data || []).map((group) => [group.id, group.displayName]));
  const byId = Object.fromEntries((connections.data || []).map((connection) => [connection.id, connection]));
  const changed = (text) => {
    setMessage(text);
    setEditing(false);
  };
  const remove = async () => {
    if (!(await confirm(`Delete the provisioning policy ${policy.displayName}? This cannot be undone.`, { title: 'Delete policy?', confirmLabel: 'Delete' }))) return;
    setDeleteError(null);
    try {
      await deletePolicy(tenantId, policyId);
      go('/tenants/:tenantId/policies', { tenantId });
    } catch (error) {
      setDeleteError(error);
    }
  };
  const cloudPcs = href('/tenants/:tenantId/cloudPCs', { tenantId }, { provisioningPolicyId: policy.id });
  const config = policy.domainJoinConfigurations[0] || {};
  return html`<${Page} title=${policy.displayName} subtitle=${policy.description || 'Provisioning policy'}
      actions=${html`<${AsOf} poll=${poll} /><a class="button secondary" href=${cloudPcs}>Cloud PCs of this policy</a>
        ${can('createTemplate') && html`<a class="button secondary" href=${href('/templates/new', {}, { kind: 'provisioningPolicy', tenantId, objectId: policy.id })}>Make a template</a>`}
        ${can('deleteProvisioningPolicy', tenantId) && html`<${ActionButton} kind="danger" onClick=${remove} busyLabel="Deleting…">Delete</${ActionButton}>`}`}>
    <p><a href=${list}>All provisioning policies</a></p>
    ${message && html`<${Notice} kind="success">${message} <a href=${cloudPcs}>Follow its Cloud PCs</a>.</${Notice}>`}
    ${deleteError && html`<div class="banner error" role="alert"><strong>Not deleted</strong><p>${deleteError.message}</p>
      ${deleteError.code === 'policyAssigned' && html`<p>A policy that is assigned still serves users. Remove every group under Assignments first:
        its users' Cloud PCs then enter the ${policy.gracePeriodInHours}-hour grace period. Then delete the policy.</p>`}</div>`}
    <${ErrorBanner} error=${poll.error} title="The policy could not be read again" />
    <section class="card wide" aria-labelledby="settings-heading">
      <div class="section-header"><h2 id="settings-heading">Settings</h2>
        ${can('updateProvisioningPolicy', tenantId) && !editing && html`<button type="button" class="button secondary" onClick=${() => setEditing(true)}>Edit</button>`}</div>
      <${Details} items=${[
        ['Join type', JOIN_TYPES[config.domainJoinType]],
        ['Network', config.onPremisesConnectionId
          ? html`<a href=${href('/tenants/:tenantId/connections/:connectionId', { tenantId, connectionId: config.onPremisesConnectionId })}>${networkOf(policy, byId)}</a>`
          : networkOf(policy, byId)],
        ['Image', `${policy.imageDisplayName || policy.imageId} (${policy.imageType})`],
        ['Cloud PC names', policy.cloudPcNamingTemplate],
        ['Local administrator', policy.localAdminEnabled ? 'Yes' : 'No'],
        ['Single sign-on', policy.enableSingleSignOn ? 'Yes' : 'No'],
        ['Language and region', html`<${LanguageName} locale=${policy.windowsSetting?.locale || DEFAULT_LOCALE} />`],
        ['Grace period', `${policy.gracePeriodInHours} hours`],
        sleepsCloudPcs(tenantId) && ['Sleep while users are away', powerRulesText(policy.powerRules)],
        ['Groups', plural(policy.assignments.length, 'group')],
        ['Created', dateTime(policy.createdDateTime)],
        ['Modified', dateTime(policy.lastModifiedDateTime)],
      ]} />
    </section>
    ${editing && html`<${EditPolicy} key=${policy.id} policy=${policy} tenantId=${tenantId} onSaved=${changed} onCancel=${() => { setEditing(false); poll.refresh(); }} />`}
    <${Assignments} policy=${policy} tenantId=${tenantId} names=${names} onChanged=${changed} />
  </${Page}>`;
}
