// A tenant's Azure network connections: the list with their health, one connection as its checks run, and what is done to them.
import { del, get, getAll, patch, post, tenantPath } from '../api.js';
import { CONNECTION_CHECKING } from '../vocabulary.js';
import { change, resource } from './resource.js';

const checking = (connection) => CONNECTION_CHECKING.includes(connection.healthCheckStatus);
const path = (tenantId, ...parts) => tenantPath(tenantId, 'connections', ...parts);

export const connectionList = (tenantId) => resource(path(tenantId), getAll, { active: (list) => list.some(checking), idleMs: 30_000 });
export const connection = (tenantId, id) => resource(path(tenantId, id), get, { active: checking, intervalMs: 2000 });

/** The server's check of a connection not yet made (validateOnly): its `summary`, or the ApiError. */
export const checkConnection = (tenantId, body) => post(path(tenantId), body, { validateOnly: true });
export const createConnection = (tenantId, body) => change(() => post(path(tenantId), body), connectionList(tenantId));
/** A change made from the version read: a 412 says someone else changed it, and the page shows their change. */
export const updateConnection = (tenantId, found, body) => change(() => patch(path(tenantId, found.id), body, found.etag),
  connection(tenantId, found.id), connectionList(tenantId));
export const runHealthChecks = (tenantId, id) => change(() => post(path(tenantId, id, 'runHealthChecks')),
  connection(tenantId, id), connectionList(tenantId));
export const deleteConnection = (tenantId, id) => change(() => del(path(tenantId, id)), connectionList(tenantId));
