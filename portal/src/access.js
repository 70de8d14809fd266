// Which controls a caller sees: the role each operation needs (the API's own OpenAPI `x-access`) against the
// caller's role on the tenant (`GET /me`), and the backend an operation is served for (`x-served-only-by`) against
// the tenant's. The server enforces the same tables; this only hides what would fail.
import { signal } from '@preact/signals';
import { roleAllows } from './lib/roles.js';

export const me = signal(null);
const needs = signal({});
const servedBy = signal({});
const backends = signal({}); // tenant id -> its cloudPcBackend, from the tenants the caller reads

export async function loadAccess(get) {
  const [caller, document] = await Promise.all([get('me'), get('openapi.json')]);
  const found = {};
  const served = {};
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) {
      found[operation.operationId] = operation['x-access'];
      if (operation['x-served-only-by']) served[operation.operationId] = operation['x-served-only-by'];
    }
  }
  needs.value = found;
  servedBy.value = served;
  me.value = caller;
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
  const only = servedBy.value[operationId];
  const backend = backends.value[tenantId];
  return !only || !backend || only === backend;
}

/** The backend that alone serves `operationId` ('azure' or 'windows365'), or undefined when both do. */
export function onlyServedBy(operationId) {
  return servedBy.value[operationId];
}

/** The role `operationId` needs (the OpenAPI's x-access), for telling a caller what would let them. */
export function roleNeeded(operationId) {
  return needs.value[operationId];
}

/** Whether the caller's access has been read yet (until then, nothing is refused or offered on a guess). */
export function accessKnown() {
  return me.value !== null;
}

/** May the caller run `operationId` on `tenantId`? */
export function can(operationId, tenantId) {
  return servedOn(operationId, tenantId)
    && roleAllows(needs.value[operationId], roleOn(tenantId), Boolean(me.value?.organizationOwner));
}
