// A pooled Spot Group's schedule (read, saved, removed, tried) and its decision timeline, a page at a time.
import { get, post, request, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

const path = (tenantId, groupId, ...parts) => tenantPath(tenantId, 'spotGroups', groupId, ...parts);
export const EVENTS_PAGE = 20;

/** The saved schedule, or the default (`isDefault`) while none is; `{notPooled: message}` for a personal group. Read
 * each time a page shows it, not followed: the editor works on what it read, and a save's If-Match tells of a change. */
export const spotGroupSchedule = (tenantId, groupId) => resource(path(tenantId, groupId, 'schedule'), async (key) => {
  try {
    return await get(key);
  } catch (error) {
    if (error.status === 409 && error.code === 'notPooled') return { notPooled: error.message };
    throw error;
  }
});

/** Saved over the version read (`etag`: If-Match; none for the default, which nobody can have changed). */
export const saveSchedule = (tenantId, groupId, body, etag) => change(
  () => request('PUT', path(tenantId, groupId, 'schedule'), { body, etag }), spotGroupSchedule(tenantId, groupId));
/** Back to the default schedule, the built-in rule. */
export const removeSchedule = (tenantId, groupId, etag) => change(
  () => request('DELETE', path(tenantId, groupId, 'schedule'), { etag }), spotGroupSchedule(tenantId, groupId));
/** The replay: `body` (a schedule and an optional loadCurve) beside the current schedule; nothing is saved. */
export const replaySchedule = (tenantId, groupId, body) => post(path(tenantId, groupId, 'schedule'), body, { validateOnly: true });

/** The timeline's newest page, read again every half minute while shown (the optimization runs every 5 minutes);
 * with `actions`, only their lines, filtered by the server so that every page after it is theirs too. */
export const spotGroupEvents = (tenantId, groupId, actions = null) => {
  const query = { top: EVENTS_PAGE, ...(actions ? { action: actions.join(',') } : {}) };
  return resource(`${path(tenantId, groupId, 'events')}?${new URLSearchParams(query)}`,
    () => get(path(tenantId, groupId, 'events'), query), { idleMs: 30_000 });
};
/** The page after one read: `{value, nextLink}`. */
export const moreEvents = async (nextLink) => (await request('GET', nextLink)).body;
