// A pooled Spot Group's scaling and Spot VMs as plain data: form fields, bodies and patches, hosts by priority, evictions per day, the timeline's kinds.
import { DECISION_ACTIONS } from '../vocabulary.js';

/** The form's field for each setting, named as the server's error targets name it (`scaling.baseHosts`). */
export const scalingField = (name) => `scaling.${name}`;
/** Whether the group scales at all: off, its hosts are a fixed set sized from the licenses (as before scaling). */
export const SCALING_ON = scalingField('enabled');
const NUMBERS = ['baseHosts', 'bufferSessions', 'maxHosts', 'deleteAfterMinutes', 'spotSharePercent'];
const PRICE = 'spotMaxPrice';
const POLICY = 'spotEvictionPolicy';
export const SCALING_FIELDS = [SCALING_ON, ...NUMBERS.map(scalingField), scalingField(POLICY), scalingField(PRICE)];
export const EVICTION_POLICIES = ['Deallocate', 'Delete'];
// left out, these go back to the group's own bound (the ceiling: its licenses) or to Azure's (the on-demand price)
const NULLABLE = ['maxHosts', PRICE];

const given = (value) => value !== undefined && value !== null && value !== '' && !(typeof value === 'number' && Number.isNaN(value));
/** A typed number (a price is typed as text: '0.05'), or null when the field is empty; text that is no number goes as
 * typed, for the server to refuse at its field. */
function number(value) {
  if (!given(value)) return null;
  const parsed = Number(String(value).trim());
  return Number.isNaN(parsed) ? String(value).trim() : parsed;
}

/** The form's values for a group's scaling (none: off, every field empty so the placeholders say the defaults). */
export function scalingValues(scaling) {
  const values = { [SCALING_ON]: Boolean(scaling), [scalingField(POLICY)]: scaling?.[POLICY] || 'Deallocate' };
  for (const name of [...NUMBERS, PRICE]) values[scalingField(name)] = scaling?.[name] ?? '';
  return values;
}

const scalingOf = (values) => Object.fromEntries([...NUMBERS, PRICE].map((name) => [name, number(values[scalingField(name)])])
  .concat([[POLICY, values[scalingField(POLICY)] || 'Deallocate']]));

/** A create body's `scaling`: the settings given (the server's defaults for the rest), or undefined when the group
 * does not scale, or is personal (a personal host is one user's). */
export function scalingBody(values) {
  if (values.userType === 'personal' || !values[SCALING_ON]) return undefined;
  return Object.fromEntries(Object.entries(scalingOf(values)).filter(([, value]) => value !== null));
}

/** The edit form's `scaling` as a merge patch: each setting that changed (a ceiling or price cleared is null, back to
 * its bound), the whole settings when scaling is turned on, undefined when nothing changed or it stays off. Scaling
 * cannot be turned off again: a fixed number of hosts is a base equal to the ceiling. */
export function scalingPatch(before, values) {
  if (!before) return scalingBody({ ...values, userType: 'pooled' });
  const after = scalingOf(values);
  const changes = {};
  for (const [name, value] of Object.entries(after)) {
    if (value === null && !NULLABLE.includes(name)) continue; // emptied: kept as it is
    if (value !== (before[name] ?? null)) changes[name] = value;
  }
  return Object.keys(changes).length ? changes : undefined;
}

/** The scaling settings in a sentence, for a review or a group's details. */
export function scalingText(scaling, ceiling = null) {
  if (!scaling) return 'A fixed set of hosts, enough for every licensed user.';
  const top = scaling.maxHosts ?? ceiling;
  const spot = scaling.spotSharePercent
    ? ` ${scaling.spotSharePercent}% of the hosts above the base on Spot VMs (${scaling.spotEvictionPolicy === 'Delete' ? 'deleted' : 'deallocated'} when evicted, `
      + `${scaling.spotMaxPrice === null || scaling.spotMaxPrice === undefined ? 'up to the on-demand price' : `at most $${scaling.spotMaxPrice} an hour`}).`
    : ' No Spot VMs.';
  return `${scaling.baseHosts ?? 1} always, up to ${top ?? 'the license bound'}; ${scaling.bufferSessions ?? 0} free sessions kept ready; `
    + `unneeded hosts deleted after ${scaling.deleteAfterMinutes ?? 30} min.${spot}`;
}

/** The hosts counted by priority: `{Regular, Spot, refused}` (refused: made on demand for want of Spot capacity). */
export function hostsByPriority(hosts) {
  const counts = { Regular: 0, Spot: 0, refused: 0 };
  for (const host of hosts || []) {
    counts[host.priority === 'Spot' ? 'Spot' : 'Regular'] += 1;
    if (host.spotRefused) counts.refused += 1;
  }
  return counts;
}

const DAY = 24 * 3600 * 1000;
const dayOf = (instant) => new Date(instant).toISOString().slice(0, 10);

/**
 * The evictions (`GET .../evictions`' value) of the `days` days up to `now`, a row a day (UTC), oldest first:
 * `{day, evictions, users, usersTold, replaced, slowestSeconds}`; null when there are none in that span.
 */
export function evictionsPerDay(evictions, now, days = 14) {
  const rows = Array.from({ length: days }, (_, back) => ({
    day: dayOf(now - (days - 1 - back) * DAY), evictions: 0, users: 0, usersTold: 0, replaced: 0, slowestSeconds: null,
  }));
  const byDay = new Map(rows.map((row) => [row.day, row]));
  let any = false;
  for (const eviction of evictions || []) {
    const row = byDay.get(dayOf(Date.parse(eviction.noticeDateTime)));
    if (!row) continue;
    any = true;
    row.evictions += 1;
    row.users += eviction.users?.length ?? eviction.users ?? 0;
    row.usersTold += eviction.usersTold?.length ?? eviction.usersTold ?? 0;
    if (given(eviction.secondsToReplacement)) {
      row.replaced += 1;
      row.slowestSeconds = Math.max(row.slowestSeconds ?? 0, eviction.secondsToReplacement);
    }
  }
  return any ? rows : null;
}

/** The timeline's kinds, each the actions it shows; `other` is every action the others leave. */
const NAMED_KINDS = [
  { id: 'power', label: 'Power', actions: ['start', 'deallocate', 'hibernate'] },
  { id: 'scaling', label: 'Scaling', actions: ['create', 'delete'] },
  { id: 'sessions', label: 'Sessions', actions: ['drain', 'notify', 'logOff'] },
  { id: 'health', label: 'Health', actions: ['evict', 'heal', 'repair'] },
];
const named = new Set(NAMED_KINDS.flatMap((kind) => kind.actions));
export const ACTION_KINDS = [...NAMED_KINDS, { id: 'other', label: 'Other', actions: DECISION_ACTIONS.filter((action) => !named.has(action)) }];
/** The actions of a kind (the server's `action` filter), or null for every line. */
export const kindActions = (id) => ACTION_KINDS.find((kind) => kind.id === id)?.actions || null;
