// A Spot Group's session time limits and the power rules of personal desktops (a personal group's, a policy's) as plain data: form fields, bodies, patches and words.

export const LIMIT_NAMES = ['idleMinutes', 'disconnectedMinutes', 'activeMinutes'];
const AWAY = 'deallocateWhenDisconnectedMinutes';
const POWER_NAMES = [AWAY, 'deallocateOnSignOut', 'hibernate'];
const POWER_DEFAULTS = { [AWAY]: null, deallocateOnSignOut: false, hibernate: false };
const LIMIT_WORDS = { idleMinutes: 'Idle', disconnectedMinutes: 'disconnected', activeMinutes: 'active' };

/** The form's field for each setting, named as the server's error targets name it (`sessionLimits.idleMinutes`). */
export const limitField = (name) => `sessionLimits.${name}`;
export const powerField = (name, setting = 'personalPower') => `${setting}.${name}`;
export const powerFields = (setting) => POWER_NAMES.map((name) => powerField(name, setting));
export const POLICY_FIELDS = [...LIMIT_NAMES.map(limitField), ...powerFields()];

/** A typed number of minutes, or null when the field is empty (an empty number field gives NaN or ''). */
function minutes(value) {
  if (value === undefined || value === null || value === '') return null;
  const number = Number(value);
  return Number.isNaN(number) ? null : number;
}

/** The form's values for a group's settings (a limit not set is an empty field); both for the edit form and the wizard. */
export function policyValues(group = {}) {
  const limits = group.sessionLimits || {};
  return {
    ...Object.fromEntries(LIMIT_NAMES.map((name) => [limitField(name), limits[name] ?? ''])),
    ...powerValues(group.personalPower),
  };
}

/** The form's values for power rules kept under `setting` (a rule not set is an empty field or unticked). */
export function powerValues(rules, setting = 'personalPower') {
  const power = { ...POWER_DEFAULTS, ...(rules || {}) };
  return {
    [powerField(AWAY, setting)]: power[AWAY] ?? '',
    [powerField('deallocateOnSignOut', setting)]: Boolean(power.deallocateOnSignOut),
    [powerField('hibernate', setting)]: Boolean(power.hibernate),
  };
}

const limitsOf = (values) => Object.fromEntries(LIMIT_NAMES.map((name) => [name, minutes(values[limitField(name)])]));

/** Every power rule as the form has it, whole. */
export const powerOf = (values, setting = 'personalPower') => ({
  [AWAY]: minutes(values[powerField(AWAY, setting)]),
  deallocateOnSignOut: Boolean(values[powerField('deallocateOnSignOut', setting)]),
  hibernate: Boolean(values[powerField('hibernate', setting)]),
});

/** The power rules a create body carries: only those asked for, or undefined when none is. */
export function powerBody(values, setting = 'personalPower') {
  const asked = Object.fromEntries(Object.entries(powerOf(values, setting)).filter(([name, value]) => value !== POWER_DEFAULTS[name]));
  return Object.keys(asked).length ? asked : undefined;
}

/** A create body's settings: only the limits given, and personal power only for a personal group that asks for any. */
export function policyBody(values) {
  const body = {};
  const limits = Object.fromEntries(Object.entries(limitsOf(values)).filter(([, value]) => value !== null));
  if (Object.keys(limits).length) body.sessionLimits = limits;
  const power = values.userType === 'personal' && powerBody(values);
  if (power) body.personalPower = power;
  return body;
}

/** The settings that changed, as a merge patch names them: each field that changed, or null for a setting cleared. */
function changedSetting(before, after, cleared) {
  const changes = Object.fromEntries(Object.entries(after).filter(([name, value]) => value !== (before?.[name] ?? cleared[name])));
  if (!Object.keys(changes).length) return undefined;
  const isCleared = Object.entries(after).every(([name, value]) => value === cleared[name]);
  return isCleared ? null : changes;
}

/** The edit form's settings as a merge patch: `{sessionLimits?, personalPower?}` with only what changed. */
export function policyPatch(group, values) {
  const patch = {};
  const noLimits = Object.fromEntries(LIMIT_NAMES.map((name) => [name, null]));
  const limits = changedSetting(group.sessionLimits, limitsOf(values), noLimits);
  if (limits !== undefined) patch.sessionLimits = limits;
  if (group.userType === 'personal') {
    const power = powerPatch(group.personalPower, values);
    if (power !== undefined) patch.personalPower = power;
  }
  return patch;
}

/** The power rules that changed from `before`: each changed rule, null when none is left, undefined when none changed. */
export const powerPatch = (before, values, setting = 'personalPower') => changedSetting(before, powerOf(values, setting), POWER_DEFAULTS);

/** 'Idle 60 min · disconnected 120 min · active: no limit', or 'None'. */
export function sessionLimitsText(limits) {
  if (!limits || LIMIT_NAMES.every((name) => limits[name] === null || limits[name] === undefined)) return 'None';
  return LIMIT_NAMES.map((name) => (limits[name] ? `${LIMIT_WORDS[name]} ${limits[name]} min` : `${LIMIT_WORDS[name]}: no limit`)).join(' · ');
}

/** Whether a personal group's power rules stop any host (then Azure starts it again when its user connects). */
export const stopsHosts = (power) => Boolean(power && (power[AWAY] || power.deallocateOnSignOut));

/** A personal group's power rules in a sentence. */
export function personalPowerText(power) {
  if (!stopsHosts(power)) {
    return `Hosts keep running while their users are away${power?.hibernate ? ' (hibernation is asked for, but no rule stops a host)' : ''}.`;
  }
  const when = [
    power[AWAY] && `has been disconnected for ${power[AWAY]} min`,
    power.deallocateOnSignOut && 'has signed out',
  ].filter(Boolean).join(' or ');
  const how = power.hibernate ? 'hibernated (deallocated where its VM size or image cannot hibernate)' : 'deallocated';
  return `A host is ${how} once its user ${when}; Azure starts it again when they connect.`;
}

/** A policy's power rules in a line: 'Deallocated after 30 minutes disconnected; on sign-out', or 'Never: ...'. */
export function powerRulesText(power) {
  if (!stopsHosts(power)) return `Never: Cloud PCs keep running while their users are away${power?.hibernate ? ' (hibernation is asked for, but no rule puts one to sleep)' : ''}`;
  const when = [
    power[AWAY] && `after ${power[AWAY]} minutes disconnected`,
    power.deallocateOnSignOut && 'on sign-out',
  ].filter(Boolean).join('; ');
  return `${power.hibernate ? 'Hibernated where the size allows, else deallocated,' : 'Deallocated'} ${when}`;
}
