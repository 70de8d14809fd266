// A tenant's usage over a range of days (per Cloud PC, per user, per day) and its right-sizing report.
import { getAll, getValue, tenantPath } from '../api.js';
import { resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'usage', ...parts);
const ranged = (list, range, load) => resource(`${list}?from=${range.from}&to=${range.to}`, () => load(list, range));

/** Each Cloud PC's connected hours and last connection over `range` ({from, to}: UTC days), every page of it. */
export const cloudPcUsage = (tenantId, range) => ranged(path(tenantId), range, getAll);
/** Each user's, summed over their Cloud PCs. */
export const userUsage = (tenantId, range) => ranged(path(tenantId, 'users'), range, getAll);
/** The tenant's connected hours, active Cloud PCs and users per day. */
export const dailyUsage = (tenantId, range) => ranged(path(tenantId, 'daily'), range, getValue);
/** Each provisioned Cloud PC's class, recommended plan and evidence over the report's own window. */
export const rightSizingReport = (tenantId) => resource(tenantPath(tenantId, 'rightSizing'), getAll);
