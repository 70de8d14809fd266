// Spot PC image sets and Spot Groups as plain data: version order, request bodies, host counts, rollout progress.

import { IMAGE_VERSION_UNDER_WAY, SPOT_GROUP_DEFAULTS } from '../vocabulary.js';
import { plural } from './format.js';
import { policyBody, policyPatch, stopsHosts } from './session-policies.js';
import { scalingBody, scalingPatch } from './scaling.js';

/** A marketplace image as a readable line: its name and whether hosts can share it. */
export function imageLabel(image) {
  if (!image) return '';
  return `${image.displayName} (${image.multiSession ? 'multi-session' : 'single-session'})`;
}

/** A VM size as a pick list reads it: 'Standard_D4s_v5 · 4 vCPUs, 16 GiB'. */
export function vmSizeLabel(size) {
  return `${size.name} · ${plural(size.vcpus, 'vCPU')}, ${size.memoryGb} GiB`;
}

/** Where a set is kept: its site with its region's display name (from GET /regions, once read), or every site's region. */
export function placeLabel(imageSet, sites, regions = null) {
  if (imageSet.global) return 'Global: every site\'s region';
  if (!sites) return '…'; // the sites are still being read: a name, not an id, comes
  const site = sites.find((entry) => entry.id === imageSet.siteId);
  const region = site && (regions?.find((one) => one.name === site.regionName)?.displayName || site.regionName);
  return site ? `${site.displayName} (${region})` : 'A site that is no longer listed';
}

// what the service applies when the admin gives none (SpotGroupCreate's x-default-by-user-type)
export const DEFAULT_SESSIONS = SPOT_GROUP_DEFAULTS.maxSessionsPerHost.pooled;
export const DEFAULT_VM_SIZES = SPOT_GROUP_DEFAULTS.vmSize;
export const GLOBAL = 'global';

/** '0.0.10' after '0.0.9': versions compared part by part as numbers. */
export function compareVersions(a, b) {
  const left = String(a).split('.').map(Number);
  const right = String(b).split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] || 0) - (right[index] || 0);
    if (difference) return difference;
  }
  return 0;
}

export const versionsUnderWay = (versions) => (versions || []).some((version) => IMAGE_VERSION_UNDER_WAY.includes(version.status));

/** The ready versions, newest first; with `region`, only those replicated there (where a Spot Group can use them). */
export function readyVersions(versions, region = null) {
  return (versions || [])
    .filter((version) => version.status === 'ready' && (!region || (version.regions || []).includes(region)))
    .sort((a, b) => compareVersions(b.version, a.version));
}

/** The ready versions a group on `current` can move to: newer ones only, newest first. */
export const newerReadyVersions = (versions, current, region = null) =>
  readyVersions(versions, region).filter((version) => compareVersions(version.version, current) > 0);

/** Why a version cannot be deleted now, or null: the server refuses the same (409), this only explains first. */
export function versionDeleteBlock(version, imageSet) {
  if (version.version === imageSet.latestVersion) return 'Kept: the latest version';
  if (IMAGE_VERSION_UNDER_WAY.includes(version.status)) return `Not while ${version.status}`;
  return null;
}

const text = (value) => (typeof value === 'string' ? value.trim() : value);
const given = (value) => value !== undefined && value !== null && value !== '' && !(typeof value === 'number' && Number.isNaN(value));

/** The create body of an image set: the place is a site id or GLOBAL, never both. */
export function imageSetBody(values) {
  const body = { displayName: text(values.displayName), sourceImageId: values.sourceImageId };
  if (values.siteId === GLOBAL) body.global = true;
  else if (given(values.siteId)) body.siteId = values.siteId;
  if (given(text(values.description))) body.description = text(values.description);
  if (given(text(values.notes))) body.notes = text(values.notes);
  return body;
}

/** A new version's body: rows of scripts left wholly empty are dropped, the rest go as typed (the server checks). */
export function versionBody(values) {
  const body = {};
  if (given(values.baseVersion)) body.baseVersion = values.baseVersion;
  if (given(text(values.notes))) body.notes = text(values.notes);
  const scripts = (values.customizationScripts || []).filter((row) => given(text(row.name)) || given(text(row.script)));
  body.customizationScripts = scripts.map((row) => ({ name: text(row.name) || '', script: row.script || '' }));
  return body;
}

/** The Spot Group wizard's values as the create body; empty optional fields are left out. */
export function spotGroupBody(values) {
  const body = {};
  for (const name of ['name', 'friendlyName', 'profilePath', 'userType', 'siteId', 'imageSetId', 'imageVersion', 'description', 'notes', 'vmSize']) {
    if (given(text(values[name]))) body[name] = text(values[name]);
  }
  if (given(values.licenseCount)) body.licenseCount = Number(values.licenseCount);
  if (values.userType !== 'personal' && given(values.maxSessionsPerHost)) body.maxSessionsPerHost = Number(values.maxSessionsPerHost);
  if (values.groupIds?.length) body.groupIds = values.groupIds.map((group) => (typeof group === 'string' ? group : group.id));
  const scaling = scalingBody(values);
  return { ...body, ...policyBody(values), ...(scaling ? { scaling } : {}) };
}

/** How many session hosts a group gets: pooled, enough for every license at the session limit; personal, one each. */
export function hostCount(userType, licenseCount, maxSessionsPerHost) {
  const licenses = Number(licenseCount);
  if (!Number.isFinite(licenses) || licenses < 1) return 0;
  if (userType === 'personal') return licenses;
  const sessions = Number(maxSessionsPerHost) >= 1 ? Number(maxSessionsPerHost) : DEFAULT_SESSIONS;
  return Math.ceil(licenses / sessions);
}

/** A pooled group needs a multi-session image; null when the image fits (or is not known here). */
export function imageMismatch(userType, image) {
  if (!image || userType !== 'pooled' || image.multiSession) return null;
  return `${image.displayName} takes one user at a time; a pooled group needs a multi-session image.`;
}

const EDITABLE = ['friendlyName', 'description', 'notes', 'licenseCount', 'profilePath'];
/** Fields Azure has to follow (answered 202, the group `updating`); description and notes are saved at once. */
const FOLLOWED = ['friendlyName', 'licenseCount', 'profilePath', 'groupIds', 'sessionLimits'];

/**
 * The merge patch from a group and the edit form's values: only what changed; cleared notes become null, and so do
 * session limits or power rules cleared altogether (a personal group's power only: a pooled group has none).
 */
export function spotGroupPatch(group, values) {
  const patch = changedFields(group, values, EDITABLE);
  const ids = (values.groupIds || []).map((entry) => (typeof entry === 'string' ? entry : entry.id));
  const had = group.groupIds || [];
  if (ids.length !== had.length || ids.some((id) => !had.includes(id))) patch.groupIds = ids;
  const scaling = group.userType === 'pooled' ? scalingPatch(group.scaling, values) : undefined;
  return { ...patch, ...policyPatch(group, values), ...(scaling ? { scaling } : {}) };
}

export const followedByAzure = (patch) => FOLLOWED.some((name) => name in patch);

/** What a change saves without Azure following it: all a group takes while a run is at work on it (not deleting). */
export const SAVED_AT_ONCE = ['description', 'notes'];
/** The merge patch of the fields SAVED_AT_ONCE alone: only what changed, cleared ones null. */
export const notesPatch = (group, values) => changedFields(group, values, SAVED_AT_ONCE);

function changedFields(group, values, names) {
  const patch = {};
  for (const name of names) {
    let value = name === 'licenseCount' ? Number(values[name]) : text(values[name]);
    if (name === 'licenseCount' && Number.isNaN(value)) value = null;
    const before = group[name] ?? null;
    const after = given(value) ? value : null;
    if (after !== before) patch[name] = after;
  }
  return patch;
}

/** What a saved edit leads to, in words: `followed` when the service answered that Azure follows it (202). */
export function savedMessage(group, patch, followed) {
  const said = [followed ? 'Saved. Azure follows the change: the group shows Updating until its host pool and hosts match.' : 'Saved.'];
  if (followed && 'sessionLimits' in patch) said.push('The session time limits are applied again to every session host.');
  if ('scaling' in patch) said.push('The optimization makes and deletes hosts by the new scaling from its next run, within 5 minutes.');
  if ('personalPower' in patch) {
    const before = stopsHosts(group.personalPower);
    const after = patch.personalPower !== null && stopsHosts({ ...group.personalPower, ...patch.personalPower });
    if (after && !before) said.push('Start VM on Connect is turned on for the host pool: a stopped host starts when its user connects.');
    said.push(after ? 'The power rules are checked every 5 minutes from now on.' : 'Hosts are no longer stopped while their users are away.');
  }
  return said.join(' ');
}

/** A rolling update's progress as the page shows it: hosts replaced of all the hosts it touches. */
export function rolloutProgress(update) {
  const replaced = update?.replaced || 0;
  const total = replaced + (update?.remaining || 0);
  return { replaced, total, percent: total ? Math.round((replaced / total) * 100) : 0 };
}

/** What deleting a group does, in one sentence for its confirmation. */
export function deleteQuestion(group, hosts, minutes) {
  const count = hosts ?? group.sessionHostCounts?.total ?? 0;
  const timeout = Number(minutes) === 0 ? 'no time' : `${minutes} minute${Number(minutes) === 1 ? '' : 's'}`;
  const noun = count === 1 ? 'session host' : 'session hosts';
  return `Delete the Spot Group ${group.friendlyName}? Its ${count} ${noun} will be drained, their users given ${timeout} to sign out, `
    + `then removed with their Entra devices; then the host pool ${group.hostPoolName}, its application group and workspace go.`;
}

/** A session host's counts as one line: '2 running · 1 stopped · 3 in all'. */
export function hostCountsText(counts) {
  if (!counts) return '—';
  const parts = ['running', 'stopped', 'draining', 'failed'].filter((name) => counts[name]).map((name) => `${counts[name]} ${name}`);
  return [...parts, `${counts.total || 0} in all`].join(' · ');
}

export const MEMBERS_SHOWN = 50;

/** A group's members as its page shows them: who holds how many of the licenses and who waits, in words, and the
 * first `shown` members in the groups' order (a group may have hundreds) with how many more there are. */
export function licenseHolders(members, licenseCount, shown = MEMBERS_SHOWN) {
  const held = members.filter((member) => member.access === 'granted').length;
  const waiting = members.length - held;
  return {
    summary: `${held} of ${plural(licenseCount, 'license')} held; ${waiting ? `${waiting} waiting` : 'nobody waiting'}`,
    rows: members.slice(0, shown),
    more: Math.max(0, members.length - shown),
  };
}
