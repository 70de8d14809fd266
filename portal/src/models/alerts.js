// A tenant's alerts (open or by status), one alert with its channels' deliveries, the header's count, and the rules.
import { del, get, getAll, patch, post, tenantPath } from '../api.js';
import { OPEN_STATUSES, ORGANIZATION, openFirst } from '../lib/alerts.js';
import { change, resource } from './resource.js';

// the organization's rules are at /alertRules, a tenant's below the tenant
const path = (tenantId, ...parts) => (tenantId === ORGANIZATION ? parts.map(encodeURIComponent).join('/') : tenantPath(tenantId, ...parts));
const delivering = (alert) => alert.deliveries.some((delivery) => delivery.status === 'pending');

/** The tenant's alerts in `status`, or (none given) the open ones, active and acknowledged; open first, newest next. */
export const alertList = (tenantId, status = '') => resource(`${path(tenantId, 'alerts')}?status=${status}`, async () => {
  const lists = await Promise.all((status ? [status] : OPEN_STATUSES).map((one) => getAll(path(tenantId, 'alerts'), { status: one })));
  return openFirst(lists.flat());
}, { idleMs: 30_000 });
export const alert = (tenantId, id) => resource(path(tenantId, 'alerts', id), get, { active: delivering, intervalMs: 5000, idleMs: 30_000 });
/** The tenant's summary: the header's count of alerts not resolved, and All Cloud PCs' status tiles (read once for
 * both; that page reads it again with each read of its list). */
export const tenantSummary = (tenantId) => resource(path(tenantId, 'summary'), get, { idleMs: 30_000 });

const acknowledged = (tenantId, ids) => [...ids.map((id) => alert(tenantId, id)), alertList(tenantId),
  ...OPEN_STATUSES.map((status) => alertList(tenantId, status)), tenantSummary(tenantId)];
export const acknowledgeAlert = (tenantId, id) => change(() => post(path(tenantId, 'alerts', id, 'acknowledge')),
  ...acknowledged(tenantId, [id]));
/** Acknowledges each alert in turn, whatever befalls another, then reads the lists once: the errors, in order. */
export const acknowledgeAlerts = (tenantId, ids) => change(async () => {
  const failed = [];
  for (const id of ids) {
    try {
      await post(path(tenantId, 'alerts', id, 'acknowledge'));
    } catch (error) {
      failed.push(error);
    }
  }
  return failed;
}, ...acknowledged(tenantId, ids));

export const alertRuleList = (tenantId) => resource(path(tenantId, 'alertRules'), getAll, { idleMs: 30_000 });
export const alertRule = (tenantId, id) => resource(path(tenantId, 'alertRules', id), get);

export const createAlertRule = (tenantId, body) => change(() => post(path(tenantId, 'alertRules'), body), alertRuleList(tenantId));
/** A change made from the version read: a 412 says someone else changed it, and the page shows their change. */
export const updateAlertRule = (tenantId, found, body) => change(() => patch(path(tenantId, 'alertRules', found.id), body, found.etag),
  alertRule(tenantId, found.id), alertRuleList(tenantId));
export const deleteAlertRule = (tenantId, found) => change(() => del(path(tenantId, 'alertRules', found.id), found.etag),
  alertRuleList(tenantId), alertList(tenantId), tenantSummary(tenantId));
