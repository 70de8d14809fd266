// A Spot Group's session time limits and a personal group's power rules as plain data: form fields, bodies, patches and words.

export const LIMIT_NAMES = ['idleMinutes', 'disconnectedMinutes', 'activeMinutes'];
const AWAY = 'deallocateWhenDisconnectedMinutes';
const POWER_NAMES = [AWAY, 'deallocateOnSignOut', 'hibernate'];
const POWER_DEFAULTS = { [AWAY]: null, deallocateOnSignOut: false, hibernate: false };
const LIMIT_WORDS = { idleMinutes: 'Idle', disconnectedMinutes: 'disconnected', activeMinutes: 'active' };

/** The form's field for each setting, named as the server's error targets name it (`sessionLimits.idleMinutes`). */
export const limitField = (name) => `sessionLimits.${name}`;
export const powerField = (name) => `personalPower.${name}`;
export const POLICY_FIELDS = [...LIMIT_NAMES.map(limitField), ...POWER_NAMES.map(powerField)];

/** A typed number of minutes, or null when the field is empty (an empty number field gives NaN or ''). */
function minutes(value) {
  if (value === undefined || value === null || value === '') return null;
  const number = Number(value);
  return Number.isNaN(number) ? null : number;
}

/** The form's values for a group's settings (a limit not set is an empty field); both for the edit form and the wizard. */
export function policyValues(group = {}) {
  const limits = group.sessionLimits || {};
  const power = { ...POWER_DEFAULTS, ...(group.personalPower || {}) };
  return {
    ...Object.fromEntries(LIMIT_NAMES.map((name) => [limitField(name), limits[name] ?? ''])),
    [powerField(AWAY)]: power[AWAY] ?? '',
    [powerField('deallocateOnSignOut')]: Boolean(power.deallocateOnSignOut),
    [powerField('hibernate')]: Boolean(power.hibernate),
  };
}

const limitsOf = (values) => Object.fromEntries(LIMIT_NAMES.map((name) => [name, minutes(values[limitField(name)])]));
const powerOf = (values) => ({
  [AWAY]: minutes(values[powerField(AWAY)]),
  deallocateOnSignOut: Boolean(values[powerField('deallocateOnSignOut')]),
  hibernate: Boolean(values[powerField('hibernate')]),
});

/** A create body's settings: only the limits given, and personal power only for a personal group that asks for any. */
export function policyBody(values) {
  const body = {};
  const limits = Object.fromEntries(Object.entries(limitsOf(values)).filter(([, value]) => value !== null));
  if (Object.keys(limits).length) body.sessionLimits = limits;
  if (values.userType === 'personal') {
    const power = powerOf(values);
    const asked = Object.fromEntries(Object.entries(power).filter(([name, value]) => value !== POWER_DEFAULTS[name]));
    if (Object.keys(asked).length) body.personalPower = asked;
  }
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
    const power = changedSetting(group.personalPower, powerOf(values), POWER_DEFAULTS);
    if (power !== undefined) patch.personalPower = power;
  }
  return patch;
}

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
