// The API's lists that are the same for every tenant: Azure regions and languages (fixed while it runs), license plans.
import { getValue } from '../api.js';
import { resource } from './resource.js';

/** The regions Windows 365 supports, `{name, displayName, geography}`. */
export const regions = resource('regions', getValue, { fixed: true });
/** The languages Windows 365 sets Cloud PCs up in, `{locale, displayName}`. */
export const languages = resource('languages', getValue, { fixed: true });
/** The Windows 365 license plans, `{id, displayName, type, provisioningType, …}`. */
export const servicePlans = resource('servicePlans', getValue);
