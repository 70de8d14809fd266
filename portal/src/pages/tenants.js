// Tenants and their sites: the lists, the forms that add them, and renaming and deleting each.
import { html } from 'htm/preact';
import { can } from '../access.js';
import { go, href, page } from '../router.js';
import { ActionButton, DataTable, ErrorBanner, Field, Notice, Page, confirm, useForm } from '../ui.js';
import { dateTime, subnetName } from '../lib/format.js';
import { useState } from 'preact/hooks';
import { regionOption } from '../lib/configuration.js';
import { RegionName } from '../catalog-names.js';
import { PickOrType } from '../pick-list.js';
import { regions } from '../models/catalog.js';
import { useResource } from '../models/resource.js';
import { createSite, deleteSite, renameSite, resourceGroups, siteList, subscriptions } from '../models/sites.js';
import { createTenant, deleteTenant, findTenant, renameTenant, tenantList } from '../models/tenants.js';

// who provisions a tenant's Cloud PCs (the tenant's cloudPcBackend), in the words an admin chooses by
export const BACKENDS = [
  { value: 'azure', label: "This app, as VMs in the customer's Azure subscription" },
  { value: 'windows365', label: 'Microsoft Windows 365, for the licenses the customer holds' },
];
const backendLabel = (value) => BACKENDS.find((backend) => backend.value === value)?.label ?? value;

const GUID = /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

// the customer is named by one of its domain names (found in Entra, and shown to be confirmed) or its tenant id
function CreateTenant({ onCreated }) {
  const form = useForm({ customer: '', displayName: '', cloudPcBackend: 'azure' });
  const [found, setFound] = useState(null); // { domain, tenant } once Entra answered for the domain typed
  const customer = form.values.customer.trim();
  const byDomain = customer && !GUID.test(customer);
  const confirmed = byDomain && found?.domain === customer.toLowerCase();
  const lookUp = async () => {
    form.clear();
    setFound(null);
    try {
      const tenant = await findTenant(customer);
      setFound({ domain: customer.toLowerCase(), tenant });
      if (!form.values.displayName.trim()) form.set('displayName', tenant.displayName);
    } catch (error) {
      form.fail(error);
    }
  };
  const submit = async () => {
    if (byDomain && !confirmed) return lookUp(); // the admin sees whom the domain names before adding it
    form.clear();
    try {
      const { displayName, cloudPcBackend } = form.values;
      const entraTenantId = byDomain ? found.tenant.tenantId : customer;
      const body = { displayName, cloudPcBackend, ...(entraTenantId ? { entraTenantId } : {}) };
      onCreated(await createTenant(body));
      setFound(null);
      form.setValues({ customer: '', displayName: '', cloudPcBackend });
    } catch (error) {
      form.fail(error);
    }
  };
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); submit(); }} aria-labelledby="new-tenant">
    <h2 id="new-tenant">Add a tenant</h2>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="customer" label="Customer's domain name" placeholder="contoso.com"
      hint="One of the customer's domain names (their people's sign-in names end with it), or their Microsoft Entra tenant id. Linked, the app follows the customer's users, groups and licenses; it can be linked later." />
    ${byDomain && html`<button type="button" class="button secondary" onClick=${lookUp}>Find the customer</button>`}
    ${confirmed && html`<${Notice}>Found in Microsoft Entra: <strong>${found.tenant.displayName}</strong> (${found.tenant.defaultDomainName}).</${Notice}>`}
    <${Field} form=${form} name="displayName" label="Display name" required />
    <${Field} form=${form} name="cloudPcBackend" label="Cloud PCs provisioned by" type="select" options=${BACKENDS}
      hint="Windows 365 provisions the Cloud PCs the customer's Windows 365 licenses pay for; this app provisions them itself in the customer's subscription. It can change only while the tenant has no Cloud PCs, connections, images or policies." />
    <${ActionButton} type="submit" kind="primary" onClick=${submit} busyLabel="Adding…">${byDomain && !confirmed ? 'Find and add' : 'Add tenant'}</${ActionButton}>
  </form>`;
}

/** Rename or delete one row's resource (a tenant or a site), conditionally on the etag it was read with. */
function useRowEdits({ kind, rename, remove: removeItem, deleteQuestion }) {
  const [renaming, setRenaming] = useState(null);
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const remove = async (item) => {
    if (!(await confirm(deleteQuestion(item), { title: `Delete ${kind}?`, confirmLabel: 'Delete' }))) return;
    setError(null);
    setMessage(null);
    try {
      await removeItem(item);
      setMessage(`Deleted ${item.displayName}.`);
    } catch (failure) {
      setError(failure);
    }
  };
  const actions = (item, canRename, canDelete) => html`
    ${canRename && html`<button type="button" class="button subtle" aria-label=${`Rename ${item.displayName}`} onClick=${() => { setError(null); setRenaming(item); }}>Rename</button>`}
    ${canDelete && html`<${ActionButton} kind="subtle" label=${`Delete ${item.displayName}`} onClick=${() => remove(item)} busyLabel="Deleting…">Delete</${ActionButton}>`}`;
  const banners = html`<${ErrorBanner} error=${error} title="Not done" />
    ${message && html`<${Notice} kind="success">${message}</${Notice}>`}
    ${renaming && html`<${Rename} key=${renaming.id} kind=${kind} item=${renaming} rename=${rename}
      onDone=${(text) => { setRenaming(null); setMessage(text); }} onCancel=${() => setRenaming(null)} />`}`;
  return { actions, banners };
}

function Rename({ kind, item, rename, onDone, onCancel }) {
  const form = useForm({ displayName: item.displayName });
  const save = async () => {
    form.clear();
    try {
      await rename(item, form.values.displayName);
      onDone(`Renamed to ${form.values.displayName}.`);
    } catch (failure) {
      form.fail(failure);
    }
  };
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="rename-heading">
    <h2 id="rename-heading">Rename the ${kind} ${item.displayName}</h2>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="displayName" label="Display name" required />
    <div class="wizard-actions">
      <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">Save</${ActionButton}>
      <button type="button" class="button secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

function Tenants() {
  const poll = useResource(tenantList);
  const [added, setAdded] = useState(null);
  const edits = useRowEdits({
    kind: 'tenant', rename: renameTenant, remove: deleteTenant,
    deleteQuestion: (tenant) => `Delete the tenant ${tenant.displayName}? Its role assignments go with it; a tenant that still has sites is not deleted.`,
  });
  const columns = [
    { label: 'Name', render: (tenant) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId: tenant.id })}>${tenant.displayName}</a>` },
    { label: 'Entra tenant', render: (tenant) => (tenant.entraTenantId ? html`<code>${tenant.entraTenantId}</code>` : 'Not linked') },
    { label: 'Cloud PCs provisioned by', render: (tenant) => backendLabel(tenant.cloudPcBackend) },
    { label: 'Sites', render: (tenant) => html`<a href=${href('/tenants/:tenantId/sites', { tenantId: tenant.id })}>Sites</a>` },
    { label: 'Created', render: (tenant) => dateTime(tenant.createdDateTime) },
    { label: 'Actions', render: (tenant) => edits.actions(tenant, can('updateTenant', tenant.id), can('deleteTenant', tenant.id)) },
  ];
  return html`<${Page} title="Tenants" subtitle="Each tenant is one customer organization.">
    <${ErrorBanner} error=${poll.error} />
    ${edits.banners}
    ${added && html`<${Notice} kind="success">Tenant ${added.displayName} added. <a href=${href('/tenants/:tenantId/onboarding', { tenantId: added.id })}>Next: onboarding</a>, where the customer's admin gives the app what it needs; then <a href=${href('/tenants/:tenantId/sites', { tenantId: added.id })}>Add its first site</a>.</${Notice}>`}
    <${DataTable} caption="Tenants" columns=${columns} rows=${poll.data} empty="No tenants yet." />
    ${can('createTenant') && html`<${CreateTenant} onCreated=${setAdded} />`}
  </${Page}>`;
}

/** The subscription and resource group a site is in, picked from what the tenant's identity sees in Azure. */
function AzurePlace({ tenantId, form }) {
  const subscriptionId = form.values.subscriptionId;
  const subscription = (one) => ({
    value: one.subscriptionId, label: `${one.displayName}${one.state === 'Enabled' ? '' : ` (${one.state})`}`,
  });
  const group = (one) => ({ value: one.name, label: `${one.name} · ${one.regionName}` });
  return html`<${PickOrType} form=${form} name="subscriptionId" label="Subscription" typedLabel="id" list=${subscriptions(tenantId)} choice=${subscription}
      first=${{ label: 'Choose a subscription', disabled: true }} required placeholder="00000000-0000-0000-0000-000000000000"
      hint=${html`The subscriptions the app holds a role in. A new customer's are listed once its admin grants the app's role there: <a href=${href('/tenants/:tenantId/onboarding', { tenantId })}>Onboarding</a> names them and says how.`}
      typedHint="The GUID of the customer's Azure subscription." />
    <${PickOrType} form=${form} name="resourceGroupName" label="Resource group" typedLabel="name"
      list=${GUID.test(subscriptionId) ? resourceGroups(tenantId, subscriptionId) : null} choice=${group}
      first=${{ label: GUID.test(subscriptionId) ? 'Choose a resource group' : 'Choose a subscription first', disabled: true }} required
      hint="The subscription's resource groups: Cloud PCs and images are made in the one you choose."
      typedHint="A resource group the site's VMs are made in; it must exist in the subscription." />`;
}

function CreateSite({ tenantId }) {
  const form = useForm({ displayName: '', regionName: 'westeurope', subscriptionId: '', resourceGroupName: '', subnetId: '' });
  const listed = useResource(regions).data || [];
  const submit = async () => {
    form.clear();
    try {
      const { subnetId, ...rest } = form.values;
      await createSite(tenantId, { ...rest, ...(subnetId ? { subnetId } : {}) });
      form.setValues({ ...form.values, displayName: '' });
    } catch (error) {
      form.fail(error);
    }
  };
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); submit(); }} aria-labelledby="new-site">
    <h2 id="new-site">Add a site</h2>
    <p class="muted">A site is where Cloud PCs and images live: an Azure region, subscription and resource group.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="displayName" label="Display name" required />
    <${Field} form=${form} name="regionName" label="Azure region" type="select" required options=${listed.length
      ? listed.map(regionOption) : [{ value: form.values.regionName, label: form.values.regionName }]} />
    <${AzurePlace} tenantId=${tenantId} form=${form} />
    <${Field} form=${form} name="subnetId" label="Subnet resource id" hint="Optional: the subnet of the customer's own network. Without one, Cloud PCs use the Microsoft-hosted network." />
    <${ActionButton} type="submit" kind="primary" onClick=${submit} busyLabel="Adding…">Add site</${ActionButton}>
  </form>`;
}

function Sites({ params }) {
  const { tenantId } = params;
  const poll = useResource(siteList(tenantId));
  // the subscriptions' names as Azure gives them to the app; an id only where its role there is gone
  const named = useResource(subscriptions(tenantId)).data;
  const subscriptionName = (id) => named?.find((one) => one.subscriptionId === id)?.displayName;
  const edits = useRowEdits({
    kind: 'site', rename: (site, name) => renameSite(tenantId, site, name), remove: (site) => deleteSite(tenantId, site),
    deleteQuestion: (site) => `Delete the site ${site.displayName}? A site that still holds connections, images, image sets or Spot Groups is not deleted.`,
  });
  const columns = [
    { label: 'Name', key: 'displayName' },
    { label: 'Region', render: (site) => html`<${RegionName} name=${site.regionName} />` },
    { label: 'Subscription', render: (site) => subscriptionName(site.subscriptionId) || html`<code>${site.subscriptionId}</code>` },
    { label: 'Resource group', key: 'resourceGroupName' },
    { label: 'Network', render: (site) => (site.subnetId ? html`<span title=${site.subnetId}>${subnetName(site.subnetId)}</span>` : 'Microsoft-hosted') },
    { label: 'Actions', render: (site) => edits.actions(site, can('updateSite', tenantId), can('deleteSite', tenantId)) },
  ];
  return html`<${Page} title="Sites">
    <${ErrorBanner} error=${poll.error} />
    ${edits.banners}
    <${DataTable} caption="Sites" columns=${columns} rows=${poll.data} empty="No sites yet: add one to choose where Cloud PCs go." />
    ${can('createSite', tenantId) && html`<${CreateSite} tenantId=${tenantId} />`}
  </${Page}>`;
}

page('/tenants', Tenants);
page('/tenants/:tenantId', ({ params }) => {
  go('/tenants/:tenantId/cloudPCs', params);
  return null;
});
page('/tenants/:tenantId/sites', Sites);
