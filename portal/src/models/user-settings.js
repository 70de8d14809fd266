// A Windows 365 tenant's user settings: the list, and adding, assigning and deleting one.
import { del, getAll, post, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

const path = (tenantId, ...parts) => tenantPath(tenantId, 'userSettings', ...parts);

export const userSettings = (tenantId) => resource(path(tenantId), getAll);
export const addUserSetting = (tenantId, body) => change(() => post(path(tenantId), body), userSettings(tenantId));
export const assignUserSetting = (tenantId, id, groups) => change(
  () => post(path(tenantId, id, 'assign'), { assignments: groups.map((group) => ({ groupId: group.id })) }), userSettings(tenantId));
export const deleteUserSetting = (tenantId, id) => change(() => del(path(tenantId, id)), userSettings(tenantId));
