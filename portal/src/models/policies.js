// A tenant's provisioning policies: the list, one policy, and creating, editing, assigning and deleting them.
import { del, get, getAll, patch, post, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'provisioningPolicies', ...parts);
const assignments = (groups) => ({ assignments: groups.map((group) => ({ groupId: group.id })) });

export const policyList = (tenantId) => resource(path(tenantId), getAll, { idleMs: 30_000 });
export const policy = (tenantId, id) => resource(path(tenantId, id), get, { idleMs: 30_000 });

/** The server's check of a policy not yet made (validateOnly): its `summary`, or the ApiError. */
export const checkPolicy = (tenantId, body) => post(path(tenantId), body, { validateOnly: true });
export const createPolicy = (tenantId, body) => change(() => post(path(tenantId), body), policyList(tenantId));
export const updatePolicy = (tenantId, found, body) => change(() => patch(path(tenantId, found.id), body, found.etag),
  policy(tenantId, found.id), policyList(tenantId));
export const deletePolicy = (tenantId, id) => change(() => del(path(tenantId, id)), policyList(tenantId));

/** What assigning the policy to `groups` would do (validateOnly): its `plan`. */
export const checkAssignment = (tenantId, id, groups) => post(path(tenantId, id, 'assign'), assignments(groups), { validateOnly: true });
export const assignPolicy = (tenantId, id, groups) => change(() => post(path(tenantId, id, 'assign'), assignments(groups)),
  policy(tenantId, id), policyList(tenantId));
