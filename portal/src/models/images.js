// A tenant's device images (custom images it imports) and the Windows 365 gallery images; adding and deleting custom ones.
import { del, getAll, getValue, post, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'deviceImages', ...parts);

export const deviceImages = (tenantId) => resource(path(tenantId), getAll, { active: (list) => list.some((image) => image.status === 'pending') });
export const galleryImages = (tenantId) => resource(tenantPath(tenantId, 'galleryImages'), getValue);

/** The server's check of an image not yet added (validateOnly): its `summary`, or the ApiError. */
export const checkDeviceImage = (tenantId, body) => post(path(tenantId), body, { validateOnly: true });
export const addDeviceImage = (tenantId, body) => change(() => post(path(tenantId), body), deviceImages(tenantId));
export const deleteDeviceImage = (tenantId, id) => change(() => del(path(tenantId, id)), deviceImages(tenantId));
