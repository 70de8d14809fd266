// What the policy wizard and the policy page share: network and settings fields, the image chooser, the plan.
import { html } from 'htm/preact';
import { useEffect, useMemo } from 'preact/hooks';
import { backendOf } from '../access.js';
import { href } from '../router.js';
import { DataTable, Field, Notice, StatusBadge } from '../ui.js';
import { RadioGroup } from '../wizard-ui.js';
import { OUTCOMES, describePlan, planHeadline } from '../lib/assignment-plan.js';
import { ENTRA, HYBRID, JOIN_TYPES, POLICY_FIELDS, POWER_RULES, regionOption, usesConnection } from '../lib/configuration.js';
import { powerFields } from '../lib/session-policies.js';
import { plural, words } from '../lib/format.js';
import { galleryChoices } from '../lib/gallery.js';
import { languages, regions } from '../models/catalog.js';
import { connectionList } from '../models/connections.js';
import { deviceImages, galleryImages } from '../models/images.js';
import { useResource } from '../models/resource.js';
import { CONNECTION_USABLE } from '../vocabulary.js';
import { PersonalPowerFields } from './spot-group-policies.js';

const { join: JOIN, connection: CONNECTION, region: REGION } = POLICY_FIELDS;
export const GENERAL_FIELDS = ['displayName', 'description', JOIN, 'network', CONNECTION, REGION, 'cloudPcNamingTemplate', 'localAdminEnabled', 'enableSingleSignOn'];
export const IMAGE_FIELDS = ['imageType', 'imageId'];
export const CONFIGURATION_FIELDS = ['windowsSetting.locale'];
export const POWER_RULE_FIELDS = powerFields(POWER_RULES);

/** What the General fields require: a name, and a connection or a region as the join type asks. */
export function generalRequired(values) {
  return ['displayName', JOIN, usesConnection(values) ? CONNECTION : REGION];
}

const orNone = (read) => read.data || (read.error ? [] : null);

/** The tenant's connections, its gallery and device images, the regions and languages: what the choices offer, once all are read. */
export function usePolicyChoices(tenantId) {
  const read = {
    connections: useResource(connectionList(tenantId)).data,
    gallery: useResource(galleryImages(tenantId)).data,
    images: useResource(deviceImages(tenantId)).data,
    // a fixed list that cannot be read offers nothing, as the catalogue's names show the ids
    regions: orNone(useResource(regions)),
    languages: orNone(useResource(languages)),
  };
  return Object.values(read).every(Boolean) ? read : null;
}

export function NetworkFields({ form, choices, tenantId }) {
  const join = form.values[JOIN];
  const connections = (choices?.connections || []).filter((connection) => connection.connectionType === join);
  const viaConnection = usesConnection(form.values);
  return html`<${RadioGroup} form=${form} name=${JOIN} legend="Join type" options=${[
      { value: ENTRA, label: JOIN_TYPES[ENTRA], description: 'Cloud PCs join Microsoft Entra ID; the network is Microsoft-hosted or one of your connections.' },
      { value: HYBRID, label: JOIN_TYPES[HYBRID], description: 'Cloud PCs join your Active Directory domain through a hybrid join connection.' },
    ]} />
    ${join === ENTRA && html`<${RadioGroup} form=${form} name="network" legend="Network" options=${[
      { value: 'microsoftHosted', label: 'Microsoft-hosted network', description: 'Microsoft runs the network in the region you choose; nothing to set up.' },
      { value: 'connection', label: 'Azure network connection', description: 'Cloud PCs attach to your own virtual network.' },
    ]} />`}
    ${viaConnection && html`<${Field} form=${form} name=${CONNECTION} label="Azure network connection" type="select" required
      hint=${connections.length ? 'Only a connection whose health checks passed (or only warn) can be used.' : undefined}
      options=${[{ value: '', label: connections.length ? 'Choose a connection' : `No ${JOIN_TYPES[join]} connection yet`, disabled: true },
        ...connections.map((connection) => ({
          value: connection.id,
          label: `${connection.displayName} (${connection.regionName}, health ${words(connection.healthCheckStatus).toLowerCase()})`,
          disabled: !CONNECTION_USABLE.includes(connection.healthCheckStatus),
        }))]} />
      ${choices && !connections.length && html`<p class="hint"><a href=${href('/tenants/:tenantId/connections/new', { tenantId })}>Create a connection</a> first.</p>`}`}
    ${!viaConnection && html`<${Field} form=${form} name=${REGION} label="Region" type="select" required
      hint="Where the Microsoft-hosted network, and so the Cloud PCs, are."
      options=${[{ value: '', label: 'Choose a region', disabled: true }, ...(choices?.regions || []).map(regionOption)]} />`}`;
}

export function SettingsFields({ form, tenantId }) {
  // Windows 365 takes local admin from its user settings, not from the policy
  const byWindows365 = backendOf(tenantId) === 'windows365';
  return html`<fieldset>
    <legend>Cloud PC settings</legend>
    <${Field} form=${form} name="cloudPcNamingTemplate" label="Cloud PC naming template" placeholder="CPC-%USERNAME:5%-%RAND:5%"
      hint="Up to 10 letters, digits and hyphens, %RAND:Y% once (Y at least 5) and %USERNAME:X% at most once, making names of 5 to 15 characters. Empty: CPC-%USERNAME:5%-%RAND:5%." />
    ${byWindows365
      ? html`<p class="hint">Local administrator rights are a Windows 365 user setting: <a href=${href('/tenants/:tenantId/userSettings', { tenantId })}>User settings</a>.</p>`
      : html`<${Field} form=${form} name="localAdminEnabled" type="checkbox" label="Make each user a local administrator of their Cloud PC" />`}
    <${Field} form=${form} name="enableSingleSignOn" type="checkbox" label="Use Microsoft Entra single sign-on" />
  </fieldset>`;
}

function galleryOption(image) {
  const recommended = image.recommendedFor.length ? `recommended for ${image.recommendedFor.join(' and ')}` : '';
  return {
    value: image.id,
    label: image.label,
    description: [`${image.publisherName} · ${image.offerName} · ${image.skuName}`, words(image.status), recommended].filter(Boolean).join(' · '),
    disabled: image.status === 'notSupported',
  };
}

/** Gallery or custom, then one image; choosing the type again clears the image chosen for the other type. */
export function ImageFields({ form, choices, tenantId }) {
  const typeForm = { ...form, set: (name, value) => { form.set(name, value); form.set('imageId', ''); } };
  const custom = form.values.imageType === 'custom';
  const images = choices?.images || [];
  const gallery = useMemo(() => galleryChoices(choices?.gallery || []), [choices?.gallery]);
  useEffect(() => { // a new policy starts on the recommended image; one chosen, or a policy's own, stays
    if (choices && !custom && !form.values.imageId && gallery.recommended) form.set('imageId', gallery.recommended);
  }, [choices, custom, gallery.recommended]);
  return html`<${RadioGroup} form=${typeForm} name="imageType" legend="Image type" options=${[
      { value: 'gallery', label: 'Gallery image', description: 'Windows 365 images from Microsoft, kept up to date.' },
      { value: 'custom', label: 'Custom image', description: 'One of this tenant\'s device images; only a ready one can be used.' },
    ]} />
    ${!choices && html`<p class="muted">Loading images…</p>`}
    ${choices && !custom && html`<${RadioGroup} form=${form} name="imageId" legend="Gallery image" options=${gallery.images.map(galleryOption)} />`}
    ${choices && !custom && html`<${PooledImageWarning} image=${choices.gallery.find((image) => image.id === form.values.imageId)} />`}
    ${choices && custom && (images.length
      ? html`<${RadioGroup} form=${form} name="imageId" legend="Custom image" options=${images.map((image) => ({
        value: image.id,
        label: `${image.displayName} ${image.version}`,
        description: image.status === 'ready' ? `Ready${image.osVersion ? ` · ${image.osVersion}` : ''}` : `${words(image.status)}: not usable yet`,
        disabled: image.status !== 'ready',
      }))} />`
      : html`<${Notice}>No custom image yet: <a href=${href('/tenants/:tenantId/images', { tenantId })}>add one on the Device images page</a>, or choose a gallery image.</${Notice}>`)}`;
}

/** A Cloud PC is one person's: an image the gallery recommends only for pooled hosts (multi-session) does not fit. */
function PooledImageWarning({ image }) {
  if (!image || image.recommendedFor.includes('personal')) return null;
  return html`<${Notice} kind="warning">${image.displayName} is a multi-session image, made for session hosts that many users share.
    A Cloud PC belongs to one user: choose a Windows 11 Enterprise image unless you mean to run multi-session Windows.</${Notice}>`;
}

/** The language and region new Cloud PCs are set up in (the policy's windowsSetting), by name; on `azure`, their power rules. */
export function ConfigurationFields({ form, choices, tenantId }) {
  const languages = choices?.languages || [];
  const chosen = form.values['windowsSetting.locale'];
  const options = languages.length ? languages.map((language) => ({ value: language.locale, label: language.displayName }))
    : [{ value: chosen, label: chosen }];
  return html`<fieldset>
    <legend>Windows settings</legend>
    <${Field} form=${form} name="windowsSetting.locale" label="Language and region" type="select" required options=${options}
      hint="Windows is set up in this language: display language, regional formats, and features such as speech and handwriting. Users can add others later; existing Cloud PCs keep theirs until reprovisioned." />
  </fieldset>
  ${sleepsCloudPcs(tenantId) && html`<${PersonalPowerFields} form=${form} setting=${POWER_RULES} what="Cloud PC" legend="Sleep while users are away" optional
    intro=${html`Cloud PCs asleep cost only their disk; the user's connection wakes them (Start VM on Connect) once Azure Virtual Desktop
      holds the role the <a href=${href('/tenants/:tenantId/onboarding', { tenantId })}>Onboarding page</a> lists.`} />`}`;
}

/** Only the `azure` backend puts Cloud PCs to sleep (Windows 365 refuses power rules): not offered until the backend is known. */
export const sleepsCloudPcs = (tenantId) => backendOf(tenantId) === 'azure';

const OUTCOME_BADGE = { gain: 'ready', keep: null, lose: 'failed', other: 'pending', none: 'warning' };

/** The assignment plan: a headline, a count per outcome, and each user with the reason. */
export function PlanReview({ plan, served, groupNames = {} }) {
  const described = describePlan(plan, served);
  const columns = [
    { label: 'User', key: 'userPrincipalName' },
    { label: 'Outcome', render: (row) => html`<span class=${`badge${OUTCOME_BADGE[row.outcome] ? ` status-${OUTCOME_BADGE[row.outcome]}` : ''}`}>${row.label}</span>` },
    { label: 'Cloud PCs', class: 'number', render: (row) => (row.outcome === 'gain' || row.outcome === 'keep' || row.outcome === 'lose' ? row.cloudPcCount : 0) },
    { label: 'Why', render: (row) => row.reason },
  ];
  return html`<div class="plan">
    <p class="plan-headline">${planHeadline(described)}</p>
    <ul class="tiles" aria-label="Outcomes">
      ${Object.entries(OUTCOMES).map(([outcome, { tile }]) => html`<li class=${`tile${outcome === 'lose' && described.counts.lose ? ' attention' : ''}`}>
        <span class="tile-value">${described.counts[outcome]}</span> ${tile}</li>`)}
    </ul>
    <p class="muted">Groups: ${plan.groupIds.length ? plan.groupIds.map((id) => groupNames[id] || id).join(', ') : 'none'}.
      ${described.membersNotFound > 0 && ` ${plural(described.membersNotFound, 'member')} could not be found in the directory.`}</p>
    <${DataTable} caption="Who gets, keeps or loses a Cloud PC" columns=${columns} rows=${described.rows} rowKey=${(row) => row.userId}
      empty="The groups have no users." />
  </div>`;
}

export function policyStatusBadge(policy) {
  return policy.assignments.length
    ? html`<${StatusBadge} status="ready" label=${`Assigned to ${plural(policy.assignments.length, 'group')}`} />`
    : html`<${StatusBadge} status="pending" label="Not assigned" />`;
}
