// A resource's display name where the API gives only its id: read once a page load, shared by every mention of it.
import { get } from '../api.js';
import { resource } from './resource.js';

/** The name behind `path` (null when it has none). */
export const nameOf = (path) => resource(`${path}#name`, async () => (await get(path)).displayName || null, { fixed: true });
