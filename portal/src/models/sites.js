// A tenant's sites (where Cloud PCs and images live), what is done to them, and the Azure lists a site's fields are picked from.
import { del, getAll, patch, post, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

export const siteList = (tenantId) => resource(tenantPath(tenantId, 'sites'), getAll);

export const createSite = (tenantId, body) => change(() => post(tenantPath(tenantId, 'sites'), body), siteList(tenantId));
export const renameSite = (tenantId, site, displayName) => change(
  () => patch(tenantPath(tenantId, 'sites', site.id), { displayName }, site.etag), siteList(tenantId));
export const deleteSite = (tenantId, site) => change(() => del(tenantPath(tenantId, 'sites', site.id), site.etag), siteList(tenantId));

/** The Azure subscriptions the tenant's identity holds a role in. */
export const subscriptions = (tenantId) => resource(tenantPath(tenantId, 'azureSubscriptions'), getAll);
export const resourceGroups = (tenantId, subscriptionId) => resource(
  tenantPath(tenantId, 'azureSubscriptions', subscriptionId, 'resourceGroups'), getAll);
/** The subnets of a site's subscription in its region. */
export const subnets = (tenantId, siteId) => resource(tenantPath(tenantId, 'sites', siteId, 'subnets'), getAll);
/** The managed images and gallery image versions of a site's subscription usable in its region. */
export const siteImages = (tenantId, siteId) => resource(tenantPath(tenantId, 'sites', siteId, 'images'), getAll);
/** The VM sizes Azure offers a site's subscription in its region that boot an image set's version. */
export const vmSizes = (tenantId, siteId, imageSetId, imageVersion) => {
  const path = tenantPath(tenantId, 'sites', siteId, 'vmSizes');
  const query = Object.fromEntries(Object.entries({ imageSetId, imageVersion }).filter(([, value]) => value));
  return resource(`${path}?${new URLSearchParams(query)}`, () => getAll(path, query));
};
