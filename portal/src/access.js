// Which controls a caller sees: the role each operation needs (the API's own OpenAPI `x-access`) against the
// caller's role on the tenant (`GET /me`), and the backend an operation is served for (`x-served-only-by`) against
// the tenant's. The server enforces the same tables; this only hides what would fail. Both tables are built into
// the bundle (vocabulary.js), so a page waits only for `me`, never for the OpenAPI document.
import { signal } from '@preact/signals';
import { roleAllows } from './lib/roles.js';
import { OPERATION_ACCESS, SERVED_ONLY_BY } from './vocabulary.js';

export const me = signal(null);
const backends = signal({}); // tenant id -> its cloudPcBackend, from the tenants the caller reads

/** Reads who the caller is: the one request the portal makes before it shows a page. */
export async function loadAccess(get) {
  me.value = await get('me');
}

export function roleOn(tenantId) {
  const caller = me.value;
  if (!caller) return null;
  if (caller.organizationOwner) return 'owner';
  return caller.tenants.find((entry) => entry.tenantId === tenantId)?.role ?? null;
}

/** Keeps each tenant's backend, as the tenant list reads it. */
export function noteTenants(list) {
  backends.value = Object.fromEntries((list || []).map((tenant) => [tenant.id, tenant.cloudPcBackend]));
}

/** The tenant's cloudPcBackend, once the tenant list has been read (undefined before). */
export function backendOf(tenantId) {
  return backends.value[tenantId];
}

/** The tenant's backend serves `operationId` (true while the tenant's backend is not known yet). */
export function servedOn(operationId, tenantId) {
  const only = SERVED_ONLY_BY[operationId];
  const backend = backends.value[tenantId];
  return !only || !backend || only === backend;
}

/** The backend that alone serves `operationId` ('azure' or 'windows365'), or undefined when both do. */
export function onlyServedBy(operationId) {
  return SERVED_ONLY_BY[operationId];
}

/** The role `operationId` needs (the OpenAPI's x-access), for telling a caller what would let them. */
export function roleNeeded(operationId) {
  return OPERATION_ACCESS[operationId];
}

/** Whether the caller's access has been read yet (until then, nothing is refused or offered on a guess). */
export function accessKnown() {
  return me.value !== null;
}

/** May the caller run `operationId` on `tenantId`? */
export function can(operationId, tenantId) {
  return servedOn(operationId, tenantId)
    && roleAllows(OPERATION_ACCESS[operationId], roleOn(tenantId), Boolean(me.value?.organizationOwner));
}
