// Who may do what on a tenant (its role assignments, given and taken) and what everyone did (its audit log).
import { del, get, getAll, getValue, post, request, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

export const roleAssignments = (tenantId) => resource(tenantPath(tenantId, 'roleAssignments'), getAll);
export const addRoleAssignment = (tenantId, body) => change(() => post(tenantPath(tenantId, 'roleAssignments'), body), roleAssignments(tenantId));
/** People and apps by the start of a word of their name (`directory`: organization or tenant): a pick list. */
export const findPrincipals = (tenantId, directory, search) => getValue(tenantPath(tenantId, 'directoryPrincipals'), { search, directory, top: 10 });
/** An outsider invited by e-mail: the answer holds the role given and, when Microsoft sent nothing, the link. */
export const inviteToRole = (tenantId, body) => change(() => post(tenantPath(tenantId, 'roleInvitations'), body), roleAssignments(tenantId));
export const removeRoleAssignment = (tenantId, assignment) => change(
  () => del(tenantPath(tenantId, 'roleAssignments', assignment.id), assignment.etag), roleAssignments(tenantId));

/** A page of the audit log: the first for `filters` (actorId, resourceType, since), or the one `pageLink` names. */
export const auditEvents = (tenantId, filters, pageLink) => resource(pageLink || `${tenantPath(tenantId, 'auditEvents')}?${JSON.stringify(filters)}`,
  async () => (pageLink ? (await request('GET', pageLink)).body : get(tenantPath(tenantId, 'auditEvents'), { ...filters, top: 50 })));
