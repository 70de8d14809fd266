// The request bodies of the Windows 365 configuration forms (connections, policies), built from their flat values.
import { powerBody, powerOf, powerPatch, powerValues } from './session-policies.js';

export const HYBRID = 'hybridAzureADJoin';
export const ENTRA = 'azureADJoin';
export const JOIN_TYPES = { [ENTRA]: 'Microsoft Entra join', [HYBRID]: 'Hybrid Microsoft Entra join' };
const JOIN = 'domainJoinConfigurations.0.domainJoinType';
const CONNECTION = 'domainJoinConfigurations.0.onPremisesConnectionId';
const REGION = 'domainJoinConfigurations.0.regionName';
const LOCALE = 'windowsSetting.locale';
export const DEFAULT_LOCALE = 'en-US'; // Windows 365's own default (a policy without a windowsSetting)
export const POLICY_FIELDS = { join: JOIN, connection: CONNECTION, region: REGION, locale: LOCALE };
export const POWER_RULES = 'powerRules'; // the `azure` backend's alone: a form on a windows365 tenant leaves them unset

const text = (value) => (typeof value === 'string' ? value.trim() : value);
const given = (value) => value !== undefined && value !== null && text(value) !== '';
const only = (entries) => Object.fromEntries(entries.filter(([, value]) => given(value)).map(([name, value]) => [name, text(value)]));

/** POST .../connections: an Entra join sends no domain fields at all; a password is sent as typed. */
export function connectionBody(values) {
  const hybrid = values.connectionType === HYBRID;
  return {
    ...only([['displayName', values.displayName], ['siteId', values.siteId], ['connectionType', values.connectionType], ['subnetId', values.subnetId]]),
    ...(hybrid ? only([['adDomainName', values.adDomainName], ['adDomainUsername', values.adDomainUsername], ['organizationalUnit', values.organizationalUnit]]) : {}),
    ...(hybrid && values.adDomainPassword ? { adDomainPassword: values.adDomainPassword } : {}),
  };
}

/** PATCH .../connections/{id} for new credentials: what changed; an empty password keeps the stored one, an
 * emptied organizational unit clears it. */
export function credentialPatch(connection, values) {
  const patch = {};
  for (const name of ['adDomainName', 'adDomainUsername']) {
    if (given(values[name]) && text(values[name]) !== connection[name]) patch[name] = text(values[name]);
  }
  const ou = given(values.organizationalUnit) ? text(values.organizationalUnit) : null;
  if (ou !== (connection.organizationalUnit ?? null)) patch.organizationalUnit = ou;
  if (values.adDomainPassword) patch.adDomainPassword = values.adDomainPassword;
  return patch;
}

/** A policy's network: a hybrid join always uses a connection; an Entra join a connection or a region. */
export function usesConnection(values) {
  return values[JOIN] === HYBRID || values.network === 'connection';
}

function domainJoin(values) {
  const config = { domainJoinType: values[JOIN] };
  if (usesConnection(values)) {
    if (given(values[CONNECTION])) config.onPremisesConnectionId = values[CONNECTION];
  } else if (given(values[REGION])) {
    config.regionName = values[REGION];
  }
  return [config];
}

/** POST .../provisioningPolicies from the wizard's values (assignments go to `assign` afterwards). */
export function policyBody(values) {
  const power = powerBody(values, POWER_RULES);
  return {
    ...only([['displayName', values.displayName], ['description', values.description], ['imageType', values.imageType], ['imageId', values.imageId], ['cloudPcNamingTemplate', values.cloudPcNamingTemplate]]),
    domainJoinConfigurations: domainJoin(values),
    localAdminEnabled: Boolean(values.localAdminEnabled),
    enableSingleSignOn: Boolean(values.enableSingleSignOn),
    ...(given(values[LOCALE]) ? { windowsSetting: { locale: values[LOCALE] } } : {}),
    ...(power ? { [POWER_RULES]: power } : {}),
  };
}

/** The flat form values of an existing policy, for its edit form. */
export function policyValues(policy) {
  const config = policy.domainJoinConfigurations[0] || {};
  return {
    displayName: policy.displayName,
    description: policy.description || '',
    [JOIN]: config.domainJoinType,
    network: config.onPremisesConnectionId ? 'connection' : 'microsoftHosted',
    [CONNECTION]: config.onPremisesConnectionId || '',
    [REGION]: config.regionName || '',
    imageType: policy.imageType,
    imageId: policy.imageId,
    cloudPcNamingTemplate: policy.cloudPcNamingTemplate || '',
    localAdminEnabled: Boolean(policy.localAdminEnabled),
    enableSingleSignOn: Boolean(policy.enableSingleSignOn),
    [LOCALE]: policy.windowsSetting?.locale || DEFAULT_LOCALE,
    ...powerValues(policy.powerRules, POWER_RULES),
  };
}

const UNSET = { domainJoinConfigurations: [], windowsSetting: { locale: DEFAULT_LOCALE } }; // what a missing field means

/**
 * PATCH .../provisioningPolicies/{id}: only what the edit changed (an emptied description is cleared); power rules
 * changed go whole, as the server replaces them whole, or null when none is left.
 */
export function policyPatch(policy, values) {
  const wanted = policyBody(values);
  delete wanted[POWER_RULES];
  const patch = {};
  for (const [name, value] of Object.entries(wanted)) {
    if (JSON.stringify(value) !== JSON.stringify(policy[name] ?? UNSET[name])) patch[name] = value;
  }
  if (policy.description && !given(values.description)) patch.description = null;
  if (patch.domainJoinConfigurations && sameJoin(policy.domainJoinConfigurations, patch.domainJoinConfigurations)) delete patch.domainJoinConfigurations;
  const power = powerPatch(policy.powerRules, values, POWER_RULES);
  if (power !== undefined) patch[POWER_RULES] = power && powerOf(values, POWER_RULES);
  return patch;
}

function sameJoin(before, after) {
  const clean = (list) => JSON.stringify(list.map((config) => only(Object.entries(config))));
  return clean(before) === clean(after);
}

/** "Microsoft-hosted network in westeurope" or "Connection HQ": how a policy's network reads in a list. */
export function networkOf(policy, connectionsById = {}) {
  const config = policy.domainJoinConfigurations?.[0];
  if (!config) return '—';
  if (config.onPremisesConnectionId) return `Connection ${connectionsById[config.onPremisesConnectionId]?.displayName || config.onPremisesConnectionId}`;
  return `Microsoft-hosted network, ${config.regionName}`;
}

/** The last parts of an ARM id, readable in a table: 'vnet-eu/subnets/cloudpcs'. */
export function shortResourceId(id, parts = 3) {
  return id ? id.split('/').slice(-parts).join('/') : '—';
}

/** A region as a pick list shows it (GET /regions): by its display name, under its geography. */
export const regionOption = (region) => ({ value: region.name, label: region.displayName, group: region.geography });
