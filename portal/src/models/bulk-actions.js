// A tenant's bulk actions: the recent ones, one with every Cloud PC's result as it comes, and reviewing and starting one.
import { get, getValue, post, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'bulkActions', ...parts);

export const bulkActionList = (tenantId) => resource(path(tenantId), () => getValue(path(tenantId), { top: 50 }),
  { active: (list) => list.some((bulk) => bulk.status === 'running') });
export const bulkAction = (tenantId, id) => resource(path(tenantId, id), get, { active: (bulk) => bulk.status === 'running' });

/** Which Cloud PCs the API would take and which it refuses, and why (validateOnly). */
export const reviewBulkAction = (tenantId, body) => post(path(tenantId), body, { validateOnly: true });
export const startBulkAction = (tenantId, body) => change(() => post(path(tenantId), body), bulkActionList(tenantId));
