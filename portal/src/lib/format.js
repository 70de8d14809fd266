// Dates, durations and words as the pages show them.

export function dateTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function time(value) {
  if (!value) return '—';
  return new Date(value).toLocaleTimeString(undefined, { timeStyle: 'medium' });
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

// names and initialisms that keep their capitals when an identifier becomes words
const NAMES = Object.fromEntries(['Entra', 'Intune', 'Teams', 'Windows', 'Azure', 'Spot', 'VM', 'VMs', 'OS', 'VDI', 'NIC',
  'AVD', 'ARM', 'SKU', 'FSLogix', 'DNS', 'URL', 'ID', 'IDs', 'PC', 'PCs', 'Windows 365'].map((name) => [name.toLowerCase().replace(' ', ''), name]));

/** 'provisionedWithWarnings' -> 'Provisioned with warnings'; 'joinEntra' -> 'Join Entra'; 'createVm' -> 'Create VM' */
export function words(value) {
  if (!value) return '';
  const text = String(value).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
    .split(' ').map((word) => NAMES[word] || word).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A number field's range as a hint says it: {minimum: 2, maximum: 9} -> '2-9'. */
export const span = (range) => `${range.minimum}-${range.maximum}`;

/** A subnet by the names an admin gave it: '/subscriptions/…/virtualNetworks/corp/subnets/cloudpcs' -> 'corp / cloudpcs'. */
export function subnetName(id) {
  const found = /\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)\/?$/i.exec(id || '');
  return found ? `${found[1]} / ${found[2]}` : id || '—';
}

const ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;

/** A server's message as a page shows it: its times in the reader's zone and locale, and the API path it gives scripts
 * left to them ('… (GET /api/tenants/{tenantId}/onboarding, the portal's Onboarding page)' -> '… (the portal's Onboarding page)'). */
export const forReaders = (message) => String(message ?? '')
  .replace(/\((?:GET|POST|PATCH|PUT|DELETE) \/api\/[^,)]*, ([^)]*)\)/g, '($1)')
  .replace(ISO_TIME, (found) => dateTime(found));

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}
