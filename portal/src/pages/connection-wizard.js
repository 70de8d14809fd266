// The Azure network connection wizard: site and subnet, join type and domain credentials, name, review and save.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { go, href } from '../router.js';
import { ActionButton, Details, ErrorBanner, Field, Notice, Page } from '../ui.js';
import { PickOrType } from '../pick-list.js';
import { RegionName, SubscriptionName } from '../catalog-names.js';
import { RadioGroup, WizardFrame, useWizard } from '../wizard-ui.js';
import { ENTRA, HYBRID, JOIN_TYPES, connectionBody, shortResourceId } from '../lib/configuration.js';
import { fail, isLast, next, setValues } from '../lib/wizard.js';
import { checkConnection, createConnection } from '../models/connections.js';
import { useResource } from '../models/resource.js';
import { siteList, subnets } from '../models/sites.js';

const STEPS = [
  {
    id: 'site',
    title: 'Site',
    fields: ['siteId', 'subnetId'],
    // a site without a subnet of its own needs one named here
    required: (values) => (values.siteSubnetId ? ['siteId'] : ['siteId', 'subnetId']),
  },
  {
    id: 'credentials',
    title: 'Credentials',
    fields: ['connectionType', 'adDomainName', 'adDomainUsername', 'adDomainPassword', 'organizationalUnit'],
    required: (values) => (values.connectionType === HYBRID ? ['adDomainName', 'adDomainUsername', 'adDomainPassword'] : []),
  },
  { id: 'details', title: 'Details', fields: ['displayName'], required: ['displayName'] },
  { id: 'review', title: 'Review + create', fields: [] },
];

const INITIAL = {
  siteId: '', siteSubnetId: '', subnetId: '', connectionType: HYBRID, adDomainName: '', adDomainUsername: '',
  adDomainPassword: '', organizationalUnit: '', displayName: '',
};

function SiteStep({ form, sites, chooseSite, tenantId }) {
  if (!sites) return html`<p class="muted">Loading sites…</p>`;
  if (!sites.length) {
    return html`<${Notice} kind="warning">This tenant has no site yet. A connection attaches Cloud PCs to a site's network:
      <a href=${href('/tenants/:tenantId/sites', { tenantId })}>add a site</a> first.</${Notice}>`;
  }
  const site = sites.find((entry) => entry.id === form.values.siteId);
  const siteForm = { ...form, set: (_, value) => chooseSite(value) };
  return html`<p class="muted">The site says where Cloud PCs live: its Azure subscription, resource group and region.</p>
    <${Field} form=${siteForm} name="siteId" label="Site" type="select" required
      options=${[{ value: '', label: 'Choose a site', disabled: true }, ...sites.map((entry) => ({ value: entry.id, label: `${entry.displayName} (${entry.regionName})` }))]} />
    ${site && html`<${Details} items=${[
      ['Region', html`<${RegionName} name=${site.regionName} />`],
      ['Subscription', html`<${SubscriptionName} tenantId=${site.tenantId} id=${site.subscriptionId} />`],
      ['Resource group', site.resourceGroupName],
      ['Site subnet', site.subnetId ? shortResourceId(site.subnetId) : 'None'],
    ]} />`}
    ${site && html`<${SubnetPicker} form=${form} tenantId=${tenantId} site=${site} />`}`;
}

/** The subnet from the site's own subscription and region (read from Azure), or typed as an ARM id. */
function SubnetPicker({ form, tenantId, site }) {
  const free = (subnet) => (subnet.freeAddresses == null ? '' : ` · ${subnet.freeAddresses} addresses free`);
  const choice = (subnet) => ({
    value: subnet.id, group: `${subnet.virtualNetworkName} (${subnet.resourceGroupName})`,
    label: `${subnet.name}${subnet.addressPrefix ? ` · ${subnet.addressPrefix}` : ''}${free(subnet)}`,
  });
  return html`<${PickOrType} form=${form} name="subnetId" label="Subnet" typedLabel="resource id" list=${subnets(tenantId, site.id)} choice=${choice}
    first=${{ label: site.subnetId ? `The site's subnet, ${shortResourceId(site.subnetId)}` : 'Choose a subnet', disabled: !site.subnetId }}
    required=${!site.subnetId} placeholder="/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/virtualNetworks/…/subnets/…"
    hint=${`The virtual networks of the site's subscription in ${site.regionName}; Cloud PCs get their network cards in the subnet.`}
    typedHint="The ARM id of the subnet Cloud PCs attach to." />`;
}

function CredentialsStep({ form }) {
  const hybrid = form.values.connectionType === HYBRID;
  return html`<${RadioGroup} form=${form} name="connectionType" legend="Join type" options=${[
      { value: HYBRID, label: JOIN_TYPES[HYBRID], description: 'Cloud PCs join your on-premises Active Directory domain, and Microsoft Entra ID through sync. Needs an account allowed to join computers.' },
      { value: ENTRA, label: JOIN_TYPES[ENTRA], description: 'Cloud PCs join Microsoft Entra ID only: no domain, no credentials.' },
    ]} />
    ${hybrid && html`<fieldset>
      <legend>Active Directory domain</legend>
      <${Field} form=${form} name="adDomainName" label="AD domain name" required placeholder="corp.contoso.com" hint="The fully qualified DNS name of the domain." />
      <${Field} form=${form} name="adDomainUsername" label="AD domain username" required placeholder="cpc-join@corp.contoso.com" hint="A user principal name with rights to create computer objects." />
      <${Field} form=${form} name="adDomainPassword" label="AD domain password" type="password" autocomplete="new-password" required
        hint="Kept in the key vault; never shown again, not even here after saving." />
      <${Field} form=${form} name="organizationalUnit" label="Organizational unit" placeholder="OU=CloudPCs,DC=corp,DC=contoso,DC=com"
        hint="Optional: the distinguished name of the OU for Cloud PC computer objects. Empty: the domain's default computers container." />
    </fieldset>`}`;
}

function ReviewStep({ review, wizard, sites }) {
  if (!review) return html`<p class="muted">Checking…</p>`;
  const values = wizard.values;
  const site = sites?.find((entry) => entry.id === review.siteId);
  return html`<p>Every check passed. Creating the connection saves it and starts its health checks at once.</p>
    <h3>What will be created</h3>
    <${Details} items=${[
      ['Name', review.displayName],
      ['Join type', JOIN_TYPES[review.connectionType]],
      ['Site', site ? `${site.displayName} (${review.regionName})` : review.siteId],
      ['Subscription', html`<${SubscriptionName} tenantId=${site?.tenantId} id=${review.subscriptionId} />`],
      ['Resource group', review.resourceGroupName],
      ['Virtual network', shortResourceId(review.virtualNetworkId, 1)],
      ['Subnet', shortResourceId(review.subnetId, 1)],
      review.connectionType === HYBRID && ['AD domain', review.adDomainName],
      review.connectionType === HYBRID && ['AD domain username', review.adDomainUsername],
      review.connectionType === HYBRID && ['AD domain password', values.adDomainPassword ? 'Set (not shown)' : 'Not set'],
      review.connectionType === HYBRID && ['Organizational unit', review.organizationalUnit || 'Default computers container'],
    ]} />
    <h3>Health checks that will run</h3>
    <ul class="check-list">
      ${review.healthCheckStatusDetail.healthChecks.map((check) => html`<li>${check.displayName}</li>`)}
    </ul>`;
}

export function ConnectionWizard({ params }) {
  const { tenantId } = params;
  const { wizard, form, update } = useWizard(STEPS, INITIAL);
  const [review, setReview] = useState(null);
  const sites = useResource(siteList(tenantId));
  const chooseSite = (siteId) => {
    const site = (sites.data || []).find((entry) => entry.id === siteId);
    update((old) => setValues(old, { siteId, siteSubnetId: site?.subnetId || '' }));
  };
  useEffect(() => {
    if (sites.data?.length && !wizard.values.siteId) chooseSite(sites.data[0].id);
  }, [sites.data]);
  const step = wizard.steps[wizard.current].id;
  // a review holds for the values it was made from; reached again from the step list, it is made anew
  useEffect(() => setReview(null), [wizard.values]);
  useEffect(() => {
    if (step !== 'review' || review) return undefined;
    let stale = false;
    checkConnection(tenantId, connectionBody(wizard.values))
      .then((answer) => !stale && setReview(answer.summary))
      .catch((error) => !stale && update((old) => fail(old, error)));
    return () => { stale = true; };
  }, [step, review]);

  // each Next asks the server (validateOnly) and keeps only what it says about the steps so far
  const onNext = async (current) => {
    const toReview = isLast(next(current));
    setReview(null);
    try {
      const answer = await checkConnection(tenantId, connectionBody(current.values));
      if (toReview) setReview(answer.summary);
      return next(current);
    } catch (error) {
      if (toReview) return fail(current, error);
      const failed = fail(current, error, { through: current.current });
      return Object.keys(failed.errors.fields).length ? failed : next(current);
    }
  };
  const save = async () => {
    try {
      const created = await createConnection(tenantId, connectionBody(wizard.values));
      go('/tenants/:tenantId/connections/:connectionId', { tenantId, connectionId: created.id }, { created: '1' });
    } catch (error) {
      update((old) => fail(old, error));
    }
  };
  return html`<${Page} title="Create an Azure network connection" subtitle="Where Cloud PCs attach to your network, and how they join a domain.">
    <${ErrorBanner} error=${sites.error} title="The sites could not be read" />
    <${WizardFrame} wizard=${wizard} update=${update} label="the connection wizard" onNext=${onNext}
      finish=${html`<${ActionButton} kind="primary" onClick=${save} busyLabel="Creating…" disabled=${!review}>Create connection</${ActionButton}>`}>
      ${step === 'site' && html`<${SiteStep} form=${form} sites=${sites.data} chooseSite=${chooseSite} tenantId=${tenantId} />`}
      ${step === 'credentials' && html`<${CredentialsStep} form=${form} />`}
      ${step === 'details' && html`<${Field} form=${form} name="displayName" label="Display name" required hint="How admins find this connection, for example 'Contoso HQ West Europe'." />`}
      ${step === 'review' && html`<${ReviewStep} review=${review} wizard=${wizard} sites=${sites.data} />`}
    </${WizardFrame}>
    <p><a href=${href('/tenants/:tenantId/connections', { tenantId })}>Cancel and go back to the connections</a></p>
  </${Page}>`;
}
