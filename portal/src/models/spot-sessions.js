// A Spot Group's user sessions, read live from its host pool (all, or one host's), and the actions on them in bulk.
import { getValue, post, tenantPath } from '../api.js';
import { change, resource } from './resource.js';
import { spotGroup } from './spot-groups.js';

const path = (tenantId, groupId, ...parts) => tenantPath(tenantId, 'spotGroups', groupId, ...parts);

/** The sessions that match `filters` ({search, state, host}): users sign in and out without the app, so the list is
 * read again every 15 s while shown. */
export const sessionList = (tenantId, groupId, { search, state, host } = {}) => resource(
  `${path(tenantId, groupId, 'sessions')}?${JSON.stringify([search, state, host])}`,
  () => getValue(host ? path(tenantId, groupId, 'sessionHosts', host, 'sessions') : path(tenantId, groupId, 'sessions'), { search, state }),
  { idleMs: 15_000 },
);

/** One action on many sessions (`{action, sessionIds, title?, message?}`): every session's result. The list shown and
 * the group's session counts are read again. */
export const actOnSessions = (tenantId, groupId, body, shown) => change(
  () => post(path(tenantId, groupId, 'sessionActions'), body), ...[shown, spotGroup(tenantId, groupId)].filter(Boolean));
