// Which controls a caller sees: the role each operation needs (the API's own OpenAPI `x-access`) against the
// caller's role on the tenant (`GET /me`). The server enforces the same table; this only hides what would fail.
import { signal } from '@preact/signals';
import { roleAllows } from './lib/roles.js';

export const me = signal(null);
const needs = signal({});

export async function loadAccess(get) {
  const [caller, document] = await Promise.all([get('me'), get('openapi.json')]);
  const found = {};
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) found[operation.operationId] = operation['x-access'];
  }
  needs.value = found;
  me.value = caller;
}

export function roleOn(tenantId) {
  const caller = me.value;
  if (!caller) return null;
  if (caller.organizationOwner) return 'owner';
  return caller.tenants.find((entry) => entry.tenantId === tenantId)?.role ?? null;
}

/** May the caller run `operationId` on `tenantId`? */
export function can(operationId, tenantId) {
  return roleAllows(needs.value[operationId], roleOn(tenantId), Boolean(me.value?.organizationOwner));
}
