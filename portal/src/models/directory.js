// A tenant's directory as the pickers read it: Entra groups found by the start of their name, the first hundred for names.
import { getValue, tenantPath } from '../api.js';
import { resource } from './resource.js';

export const findGroups = (tenantId, search) => getValue(tenantPath(tenantId, 'directoryGroups'), { search, top: 10 });
/** The first hundred groups, for naming the ones a resource holds by id (best effort: the look-up answers by name). */
export const firstGroups = (tenantId) => resource(`${tenantPath(tenantId, 'directoryGroups')}?top=100`,
  () => getValue(tenantPath(tenantId, 'directoryGroups'), { top: 100 }));
export const groupPath = (tenantId, groupId) => tenantPath(tenantId, 'directoryGroups', groupId);
