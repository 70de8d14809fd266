// A tenant's cost reports (per day, Spot Group or site; one Spot Group's), its users' comparisons, the CSV export, and every tenant's month for the overview.
import { get, getAll, getFile, tenantPath } from '../api.js';
import { costQuery } from '../lib/costs.js';
import { resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'costs', ...parts);
const keyOf = (list, query) => `${list}?${new URLSearchParams(query)}`;

/** A cost report (`{from, to, currency, groupBy, spotGroupId}`, each optional: the API's defaults). */
export const costReport = (tenantId, wanted) => {
  const query = costQuery(wanted);
  return resource(keyOf(path(tenantId), query), () => get(path(tenantId), query), { idleMs: 300_000 });
};

/** Each user's month three ways over the range (Windows 365, an azure Cloud PC, a pooled seat), every page of it. */
export const userCosts = (tenantId, { from, to, currency }) => {
  const query = costQuery({ from, to, currency });
  return resource(keyOf(path(tenantId, 'users'), query), () => getAll(path(tenantId, 'users'), query));
};

/** The same report as CSV, a Blob read with the caller's token. */
export const costExport = (tenantId, wanted) => getFile(path(tenantId, 'export'), costQuery(wanted), 'text/csv');

/** Every tenant the caller may read: its month's and the month before's figures (`month` 'YYYY-MM'; none: this one). */
export const costsAcrossTenants = (month = '') => resource(`costs?month=${month}`, async () => (await get('costs', { month })).value,
  { idleMs: 300_000 });
