// A tenant's Spot Groups: the list, one group with its hosts and image updates as Azure works, who holds its licenses, and changes.
import { get, getAll, getValue, post, request, tenantPath } from '../api.js';
import { IMAGE_UPDATE_UNDER_WAY, SESSION_HOST_BUSY, SPOT_GROUP_BUSY } from '../vocabulary.js';
import { change, resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'spotGroups', ...parts);

export const spotGroupList = (tenantId) => resource(path(tenantId), getAll, {
  active: (list) => list.some((group) => SPOT_GROUP_BUSY.includes(group.status)),
  idleMs: 30_000,
});
/** `{group, hosts, updates}`, or `{gone: true}` once the group is deleted. */
export const spotGroup = (tenantId, id) => resource(path(tenantId, id), async () => {
  try {
    const [group, hosts, updates] = await Promise.all([
      get(path(tenantId, id)), getValue(path(tenantId, id, 'sessionHosts')), getValue(path(tenantId, id, 'imageUpdates')),
    ]);
    return { group, hosts, updates };
  } catch (error) {
    if (error.status === 404) return { gone: true };
    throw error;
  }
}, {
  // an update waiting for its maintenance window may wait days: read at the idle pace until the window opens
  active: ({ gone, group, hosts, updates }) => !gone && updates[0]?.status !== 'waitingForWindow' && (SPOT_GROUP_BUSY.includes(group.status)
    || hosts.some((host) => SESSION_HOST_BUSY.includes(host.status)) || IMAGE_UPDATE_UNDER_WAY.includes(updates[0]?.status)),
  idleMs: 15_000, // sessions and power states change without any work of the app's
});

/** The server's review of a group not yet made (validateOnly): who gets access, how many hosts. */
export const checkSpotGroup = (tenantId, body) => post(path(tenantId), body, { validateOnly: true });
export const createSpotGroup = (tenantId, body) => change(() => post(path(tenantId), body), spotGroupList(tenantId));
/** A change (an image update too) from the version read; answers the API's answer: 202 when Azure follows it. */
export const updateSpotGroup = (tenantId, group, body) => change(() => request('PATCH', path(tenantId, group.id), { body, etag: group.etag }),
  spotGroup(tenantId, group.id), spotGroupList(tenantId));
/** Cancel an image update running or waiting for its window (202: `cancelling` until the hosts being replaced finish). */
export const cancelImageUpdate = (tenantId, groupId, updateId) => change(
  () => post(path(tenantId, groupId, 'imageUpdates', updateId, 'cancel'), {}), spotGroup(tenantId, groupId), spotGroupList(tenantId));
export const deleteSpotGroup = (tenantId, id, drainTimeoutMinutes) => change(
  () => request('DELETE', path(tenantId, id), { query: { drainTimeoutMinutes } }), spotGroup(tenantId, id), spotGroupList(tenantId));

/** The members of a group's Entra groups in the groups' order, each with its `access`: `granted` (holds the desktop,
 * one of the licenses) or `waiting` (for a license). */
export const spotGroupUsers = (tenantId, id) => resource(path(tenantId, id, 'users'), getValue, { idleMs: 30_000 });

/** A group's Spot evictions, every page: `{evictions}`, or `{missing: true}` where the service has no such list
 * (an older one answers 404): the page then shows nothing of them. */
export const spotGroupEvictions = (tenantId, id) => resource(path(tenantId, id, 'evictions'), async (key) => {
  try {
    return { evictions: await getAll(key) };
  } catch (error) {
    if (error.status === 404) return { missing: true };
    throw error;
  }
}, { idleMs: 60_000 });
