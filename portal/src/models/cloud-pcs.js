// A tenant's Cloud PCs: a page of the list with its status counts, one with its timeline, restore points, where its user connects and explanation, and the actions.
import { get, getAll, getValue, post, tenantPath } from '../api.js';
import { CLOUD_PC_UNDER_WAY } from '../vocabulary.js';
import { change, resource } from './resource.js';

const PAGE_SIZE = 50;
const ACTED_MS = 30_000; // an action's effect (a troubleshooting result, a restart line) comes a little after it
const path = (tenantId, ...parts) => tenantPath(tenantId, 'cloudPCs', ...parts);

/** One page of the list (`filters`: status, search, provisioningPolicyId, userId); the status tiles are the tenant's
 * summary's (alerts.js), which the header reads too. */
export const cloudPcPage = (tenantId, filters, skipToken) => resource(`${path(tenantId)}?${JSON.stringify([filters, skipToken])}`,
  () => get(path(tenantId), { ...filters, top: PAGE_SIZE, skipToken }), {
    active: (list) => list.value.some((cloudPc) => CLOUD_PC_UNDER_WAY.includes(cloudPc.status)),
    idleMs: 15_000, // Cloud PCs appear when a policy is assigned or a user licensed elsewhere
  });

/** `{cloudPc, events}`: a deprovisioned Cloud PC answers 404 while its timeline remains (`cloudPc` null). */
export const cloudPc = (tenantId, id) => resource(path(tenantId, id), async () => {
  const [found, events] = await Promise.all([
    get(path(tenantId, id)).catch((error) => (error.status === 404 ? null : Promise.reject(error))),
    getValue(path(tenantId, id, 'events')),
  ]);
  return { cloudPc: found, events };
}, {
  active: ({ cloudPc: found, events }) => (found ? CLOUD_PC_UNDER_WAY.includes(found.status) : false) || events.some((event) => event.outcome === 'running'),
});

export const snapshots = (tenantId, id) => resource(path(tenantId, id, 'snapshots'), getValue, { idleMs: 60_000 });

/** Where the user connects: read once while shown (it changes only with a reprovision or the policy's power rules). */
export const launchInfo = (tenantId, id) => resource(path(tenantId, id, 'launchInfo'), get);

/** Why the user has the Cloud PCs they have; `version` (the Cloud PC's last change) reads it again when that moves on. */
export const explanation = (tenantId, userId, version) => resource(`${tenantPath(tenantId, 'users', userId, 'provisioningExplanation')}@${version}`,
  () => get(tenantPath(tenantId, 'users', userId, 'provisioningExplanation')));

/** Runs `action` (reboot, rename, resize…) on a Cloud PC; the Cloud PC is read again either way: a refusal often means
 * the page showed it stale. */
export async function act(tenantId, id, action, body = {}, stores = []) {
  try {
    return await post(path(tenantId, id, action), body);
  } finally {
    const shown = cloudPc(tenantId, id);
    shown.keepPolling(ACTED_MS);
    await Promise.all([shown, ...stores].map((store) => store.invalidate()));
  }
}

export const restore = (tenantId, id, snapshotId) => act(tenantId, id, 'restore', { snapshotId }, [snapshots(tenantId, id)]);
export const takeSnapshot = (tenantId, id) => act(tenantId, id, 'createSnapshot', {}, [snapshots(tenantId, id)]);

/** The ids of the users that already have a Cloud PC of the policy (they keep it, rather than gain one). */
export async function usersServedBy(tenantId, policyId) {
  const list = await getAll(path(tenantId), { provisioningPolicyId: policyId, top: 1000 });
  return new Set(list.map((found) => found.userId));
}

/** A Cloud PC's name: null when it was deprovisioned, undefined when it cannot be read now. */
export const cloudPcName = (tenantId, id) => get(path(tenantId, id))
  .then((found) => found.displayName, (error) => (error.status === 404 ? null : undefined));
