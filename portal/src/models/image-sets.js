// A tenant's Spot PC image sets: the list, one set with its versions as they build, their marketplace images, and changes to them.
import { del, get, getAll, getValue, patch, post, request, tenantPath } from '../api.js';
import { versionsUnderWay } from '../lib/spot-pc.js';
import { IMAGE_VERSION_UNDER_WAY } from '../vocabulary.js';
import { change, resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'imageSets', ...parts);

export const imageSetList = (tenantId) => resource(path(tenantId), getAll, {
  active: (list) => list.some((set) => IMAGE_VERSION_UNDER_WAY.includes(set.status)),
  idleMs: 30_000,
});
export const imageSet = (tenantId, id) => resource(path(tenantId, id), get);
/** `{imageSet, versions}`, or `{gone: true}` once the set is deleted. */
export const imageSetPage = (tenantId, id) => resource(`${path(tenantId, id)}#versions`, async () => {
  try {
    const [found, versions] = await Promise.all([get(path(tenantId, id)), getValue(path(tenantId, id, 'versions'))]);
    return { imageSet: found, versions };
  } catch (error) {
    if (error.status === 404) return { gone: true };
    throw error;
  }
}, { active: ({ gone, imageSet: found, versions }) => !gone && (found.status === 'deleting' || versionsUnderWay(versions)), intervalMs: 2000 });
/** A set's versions: one being built shows up ready without a reload. */
export const versions = (tenantId, id) => resource(path(tenantId, id, 'versions'), getValue,
  { active: versionsUnderWay, intervalMs: 5000, idleMs: 60_000 });
export const marketplaceImages = (tenantId) => resource(tenantPath(tenantId, 'marketplaceImages'), getValue);

/** The server's check of a set not yet made (validateOnly): its `summary`, or the ApiError. */
export const checkImageSet = (tenantId, body) => post(path(tenantId), body, { validateOnly: true });
export const createImageSet = (tenantId, body) => change(() => post(path(tenantId), body), imageSetList(tenantId));
const changing = (tenantId, id, work) => change(work, imageSetPage(tenantId, id), versions(tenantId, id), imageSetList(tenantId));
export const updateImageSet = (tenantId, found, body) => changing(tenantId, found.id, () => patch(path(tenantId, found.id), body, found.etag));
export const deleteImageSet = (tenantId, id) => changing(tenantId, id, () => del(path(tenantId, id)));
export const addVersion = (tenantId, id, body) => changing(tenantId, id, () => post(path(tenantId, id, 'versions'), body));
export const captureVersion = (tenantId, id, version) => changing(tenantId, id, () => post(path(tenantId, id, 'versions', version, 'capture')));
/** Answers the API's answer: 202 when the version's gallery image is being removed first. */
export const deleteVersion = (tenantId, id, version) => changing(tenantId, id, () => request('DELETE', path(tenantId, id, 'versions', version)));
