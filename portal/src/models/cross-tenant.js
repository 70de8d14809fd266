// One view over every tenant: a page of the Cloud PCs of every tenant the caller holds a role on.
import { get } from '../api.js';
import { resource } from './resource.js';

const PAGE_SIZE = 50;

/** One page of `GET /cloudPCs` (`filters`: search, status, orderBy), from `skipToken`. */
export const cloudPcsAcrossTenants = (filters, skipToken) => resource(`cloudPCs?${JSON.stringify([filters, skipToken])}`,
  () => get('cloudPCs', { ...filters, top: PAGE_SIZE, skipToken }), { idleMs: 30_000 });
