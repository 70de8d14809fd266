// Tenants: the list (the tenant switcher's too), the overview's summary of each, one with its settings, and adding, renaming and deleting one.
import { noteTenants } from '../access.js';
import { get, getAll, patch, post, del, tenantPath } from '../api.js';
import { CLOUD_PC_UNDER_WAY } from '../vocabulary.js';
import { change, resource } from './resource.js';

export const tenantList = resource('tenants', async () => {
  const list = await getAll('tenants');
  noteTenants(list);
  return list;
});

/** Every tenant's summary in one request (`GET /summaries`, the largest page: each page counts every tenant's rows). */
export const summaries = resource('summaries', () => getAll('summaries', { top: 1000 }),
  { active: (rows) => rows.some((row) => CLOUD_PC_UNDER_WAY.some((status) => row.cloudPcs.byStatus[status])), idleMs: 30_000 });

/** A customer's Entra tenant by one of its domain names: `{tenantId, displayName, defaultDomainName}`. */
export const findTenant = (domainName) => get('tenantLookup', { domainName });

export const createTenant = (body) => change(() => post('tenants', body), tenantList);
export const renameTenant = (tenant, displayName) => change(() => patch(tenantPath(tenant.id), { displayName }, tenant.etag), tenantList);
/** The subscriptions the customer will use, named before any site so that onboarding asks for the app's role there. */
export const setSubscriptions = (tenant, subscriptionIds, ...reread) => change(
  () => patch(tenantPath(tenant.id), { subscriptionIds }, tenant.etag), tenantList, ...reread);
export const deleteTenant = (tenant) => change(() => del(tenantPath(tenant.id), tenant.etag), tenantList);

/** One tenant as `GET /tenants/{id}` answers it, with the etag its settings are changed from. */
export const tenantOf = (tenantId) => resource(tenantPath(tenantId), () => get(tenantPath(tenantId)));
/** The tenant's reclaim rule, conditionally on the etag the page read. */
export const setReclaimRule = (tenant, reclaim) => change(
  () => patch(tenantPath(tenant.id), { reclaim }, tenant.etag), tenantOf(tenant.id), tenantList);
/** What a rule with these days would do now: `{toAnnounce, toReclaim}`; nothing is saved. */
export const previewReclaim = (tenantId, query) => get(tenantPath(tenantId, 'reclaimPreview'), query);
