// A customer tenant's onboarding report: what the app needs there (consent, Graph permissions, Azure roles) as it finds it.
import { signal } from '@preact/signals';
import { get, patch, request, tenantPath } from '../api.js';
import { change, resource } from './resource.js';
import { subscriptions } from './sites.js';
import { tenantList } from './tenants.js';

// what the customer's admin answered at Entra's admin consent page, once back (lib/consent-return.js), until read
export const consentOutcome = signal(null);

export const onboarding = (tenantId) => resource(tenantPath(tenantId, 'onboarding'), get, { idleMs: 60_000 });

// the customer administrator's own Azure or Graph token goes in a header of its own, for that request only (auth.js
// keeps it)
const adminHeaders = (token) => ({ 'X-Azure-Admin-Token': token });
const entraAdminHeaders = (token) => ({ 'X-Entra-Admin-Token': token });

/** Grants the app, with the Entra administrator's sign-in, every Graph permission the checklist lists as missing:
 * `{granted, report}`. */
export const grantGraphPermissions = (tenantId, token) => change(async () => (await request('POST',
  `${tenantPath(tenantId)}/onboarding:grantGraphPermissions`, { headers: entraAdminHeaders(token) })).body, onboarding(tenantId));

/** The subscriptions the signed-in administrator sees, by name, each with `canGrant`. */
export const adminSubscriptions = async (tenantId, token) => (await request('GET',
  tenantPath(tenantId, 'onboarding', 'adminSubscriptions'), { headers: adminHeaders(token) })).body.value;

/** Names the subscriptions in the tenant (so the checklist checks them before a site), then grants there with the
 * administrator's sign-in: `{granted, report}`. */
export const grantAzureAccess = (tenant, token, subscriptionIds) => change(async () => {
  const named = tenant.subscriptionIds || [];
  const more = subscriptionIds.filter((id) => !named.some((one) => one.toLowerCase() === id.toLowerCase()));
  if (more.length) await patch(tenantPath(tenant.id), { subscriptionIds: [...named, ...more] }, tenant.etag);
  const answer = await request('POST', `${tenantPath(tenant.id)}/onboarding:grantAzureAccess`,
    { body: { subscriptionIds }, headers: adminHeaders(token) });
  return answer.body;
}, onboarding(tenant.id), tenantList, subscriptions(tenant.id), delegationTemplate(tenant.id));

/** The Azure Lighthouse delegation the customer deploys once per subscription: `{managedByTenantId, principalId, templates}`. */
export const delegationTemplate = (tenantId) => resource(tenantPath(tenantId, 'onboarding', 'delegationTemplate'), get, { idleMs: 300_000 });

/** How the app reaches the customer's Azure: `consent` (its role in the customer's tenant) or `lighthouse`. */
export const setAzureAccess = (tenant, azureAccess) => change(
  () => patch(tenantPath(tenant.id), { azureAccess }, tenant.etag), tenantList, onboarding(tenant.id), delegationTemplate(tenant.id));
