// A Spot Group's schedule as the editor holds it: the draft and its body, field names, the server's errors at their fields, the week laid out.
import { SCHEDULE_PHASES, WEEKDAYS } from '../vocabulary.js';

export const DAY_MINUTES = 24 * 60;
const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const PHASE_FIELDS = ['start', 'loadBalancing', 'minimumHostsPercent', 'capacityThresholdPercent', 'bufferPercent'];
const LOG_OFF_FIELDS = ['policy', 'delayMinutes', 'message'];
// AVD scaling plans' defaults: users spread while people arrive and work, packed once they leave
const BALANCING = { rampUp: 'breadthFirst', peak: 'breadthFirst', rampDown: 'depthFirst', offPeak: 'depthFirst' };
const WORKDAYS = WEEKDAYS.slice(0, 5);
export const NOTICE = 'This desktop closes in 30 minutes: please save your work and sign out.';

/** '07:30' -> 450; null for what is not a time HH:MM. */
export function minutesOf(value) {
  const found = HH_MM.exec(String(value ?? ''));
  return found ? Number(found[1]) * 60 + Number(found[2]) : null;
}

/** 450 -> '07:30' (1440 is '24:00', the end of a day). */
export function clock(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const phase = (start, minimumHostsPercent, capacityThresholdPercent, name) => ({
  start, loadBalancing: BALANCING[name], minimumHostsPercent, capacityThresholdPercent, bufferPercent: 0,
});

/** A new weekday set: the working days no other set has, on office hours (the documentation's example). */
export function newWeekdaySet(sets = []) {
  const taken = new Set(sets.flatMap((set) => set.days));
  const free = WORKDAYS.filter((day) => !taken.has(day));
  return {
    days: free.length ? free : WEEKDAYS.filter((day) => !taken.has(day)).slice(0, 1),
    rampUp: phase('07:00', 30, 60, 'rampUp'),
    peak: phase('09:00', 50, 80, 'peak'),
    rampDown: { ...phase('17:00', 10, 90, 'rampDown'), logOff: { policy: 'waitForSignOut', delayMinutes: 30, message: NOTICE } },
    offPeak: phase('19:00', 0, 100, 'offPeak'),
  };
}

/** The editor's draft of a schedule as read: every field present (a log-off's delay and message kept aside while the
 * policy does not use them, pre-staging switched off but ready), so the form never changes shape as it is edited. */
export function draftOf(schedule) {
  const sets = (schedule.weekdaySets || []).map((set) => {
    const copy = { days: [...set.days] };
    for (const name of SCHEDULE_PHASES) copy[name] = { ...phase('', 0, 100, name), ...set[name] };
    const logOff = set.rampDown.logOff || {};
    copy.rampDown.logOff = { policy: logOff.policy || 'waitForSignOut', delayMinutes: logOff.delayMinutes ?? 30, message: logOff.message ?? NOTICE };
    return copy;
  });
  return {
    timeZone: schedule.timeZone || 'UTC',
    weekdaySets: sets,
    exceptions: (schedule.exceptions || []).map((one) => ({ date: one.date, name: one.name || '', phase: one.phase || 'offPeak' })),
    preStaging: { enabled: Boolean(schedule.preStaging), hosts: schedule.preStaging?.hosts ?? 1, minutesBefore: schedule.preStaging?.minutesBefore ?? 30 },
  };
}

// a number field left empty is NaN: sent as null, which the server names at its field
function number(value) {
  if (value === '' || value === null || value === undefined) return null;
  const found = Number(value);
  return Number.isNaN(found) ? null : found;
}
const text = (value) => (typeof value === 'string' ? value.trim() : value);

/** The body of PUT .../schedule (and of the replay) from a draft: what the policy does not use is left out. */
export function scheduleBody(draft) {
  const body = { timeZone: text(draft.timeZone) };
  body.weekdaySets = draft.weekdaySets.map((set) => {
    const out = { days: WEEKDAYS.filter((day) => set.days.includes(day)) };
    for (const name of SCHEDULE_PHASES) {
      const source = set[name];
      out[name] = {
        start: source.start, loadBalancing: source.loadBalancing, minimumHostsPercent: number(source.minimumHostsPercent),
        capacityThresholdPercent: number(source.capacityThresholdPercent), bufferPercent: number(source.bufferPercent) ?? 0,
      };
    }
    const logOff = set.rampDown.logOff;
    out.rampDown.logOff = logOff.policy === 'notifyThenLogOff'
      ? { policy: logOff.policy, delayMinutes: number(logOff.delayMinutes), message: text(logOff.message) }
      : { policy: logOff.policy };
    return out;
  });
  body.exceptions = draft.exceptions.map((one) => ({ date: one.date, phase: one.phase, ...(text(one.name) ? { name: text(one.name) } : {}) }));
  body.preStaging = draft.preStaging.enabled ? { hosts: number(draft.preStaging.hosts), minutesBefore: number(draft.preStaging.minutesBefore) } : null;
  return body;
}

/** Every field the editor shows, by the name the server's error targets become (`weekdaySets.0.peak.start`). */
export function fieldNames(draft) {
  const names = ['timeZone', 'loadCurve', 'preStaging.enabled', 'preStaging.hosts', 'preStaging.minutesBefore'];
  draft.weekdaySets.forEach((set, index) => {
    names.push(`weekdaySets.${index}.days`);
    for (const name of SCHEDULE_PHASES) names.push(...PHASE_FIELDS.map((field) => `weekdaySets.${index}.${name}.${field}`));
    names.push(...LOG_OFF_FIELDS.map((field) => `weekdaySets.${index}.rampDown.logOff.${field}`));
  });
  draft.exceptions.forEach((_, index) => names.push(...['date', 'name', 'phase'].map((field) => `exceptions.${index}.${field}`)));
  return names;
}

/** A draft's leaves by dotted name, as the form's fields read them; a list of plain values (days) is one leaf. */
export function flatten(value, prefix = '', into = {}) {
  const isLeafList = Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object');
  if (value !== null && typeof value === 'object' && !isLeafList) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into[prefix] = value;
  }
  return into;
}

/** A copy of `value` with the leaf at the dotted `name` set; what is not on the path is shared. */
export function setAt(value, name, leaf) {
  const [head, ...rest] = name.split('.');
  const copy = Array.isArray(value) ? [...value] : { ...value };
  copy[head] = rest.length ? setAt(value[head], rest.join('.'), leaf) : leaf;
  return copy;
}

/**
 * The server's error with each detail's target moved to the field that shows it: a day listed twice
 * (`weekdaySets[0].days[2]`) to its set's days, a load curve's point to the load curve, saying which line; a target no
 * field has stays for the page's banner. `curveLines[i]` is the line the i-th point was typed on.
 */
export function atFields(error, known, curveLines = []) {
  const details = error.details?.length ? error.details : [{ code: error.code, message: error.message, target: error.target }];
  const moved = details.map((detail) => {
    const path = String(detail.target || '').replace(/^(body|\$)\.?/, '').replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
    for (let length = path.length; length > 0; length -= 1) {
      const field = path.slice(0, length).join('.');
      if (!known.includes(field)) continue;
      const point = field === 'loadCurve' && path.length > 1 ? Number(path[1]) : null;
      const where = point !== null && !Number.isNaN(point) ? `Line ${curveLines[point] ?? point + 1}: ` : '';
      // a message may start with its own target ('weekdaySets[0].peak.start: must be ...'): beside its field it need not
      const own = detail.target && detail.message?.startsWith(`${detail.target}: `) ? detail.message.slice(detail.target.length + 2) : detail.message;
      const message = length < path.length && where ? `${where}${own}` : own;
      return { ...detail, target: field, message };
    }
    return detail;
  });
  return { status: error.status, code: error.code, message: error.message, target: error.target, details: moved };
}

/** One day's phase starts from its set, in the order of the day (an unfinished field is left out of the chart until
 * it is a time). */
function startsOf(set, setIndex) {
  const starts = SCHEDULE_PHASES.map((name) => ({ at: minutesOf(set[name].start), phase: name, set: setIndex }));
  return starts.filter((start) => start.at !== null).sort((a, b) => a.at - b.at);
}

/** What the server refuses in a set's phases, each where it says it: a start not after the one before it. */
function phaseProblems(set, setIndex) {
  return SCHEDULE_PHASES.slice(1).flatMap((name, index) => {
    const before = SCHEDULE_PHASES[index];
    const [earlier, at] = [minutesOf(set[before].start), minutesOf(set[name].start)];
    if (earlier === null || at === null || at > earlier) return [];
    return [{
      target: `weekdaySets[${setIndex}].${name}.start`, code: 'phasesOverlap',
      message: `Weekday set ${setIndex + 1}: ${PHASE_WORDS[name].toLowerCase()} must start after ${PHASE_WORDS[before].toLowerCase()} (${clock(earlier)}): a day runs ramp-up, peak, ramp-down, off-peak.`,
    }];
  });
}

/** A day of a later set that an earlier one has already, where the server says it (the days as the body lists them). */
function dayProblems(sets, setOfDay) {
  return sets.flatMap((set, setIndex) => WEEKDAYS.filter((day) => (set.days || []).includes(day)).flatMap((day, index) => {
    const first = setOfDay[WEEKDAYS.indexOf(day)];
    return first === setIndex ? [] : [{
      target: `weekdaySets[${setIndex}].days[${index}]`, code: 'dayInTwoSets',
      message: `${capital(day)} is already in weekday set ${first + 1}: a day follows one set.`,
    }];
  }));
}

/**
 * The week as the rule runs it, Monday to Sunday in the schedule's own time: each day's segments `{from, to, phase,
 * set, carried}` (minutes from its midnight; `carried`: the phase goes on from an earlier day, `set` null: no weekday
 * set at all, the built-in rule), the pre-staging windows before each ramp-up (which may begin the evening before),
 * and what the server will refuse (`{target, code, message}`, as its 400 names them). A day in no set goes on in the
 * phase the last day in a set ended in. portal/test/schedule-phases.test.mjs holds it to the server's rule.
 */
export function weekLayout(schedule) {
  const sets = schedule.weekdaySets || [];
  const setOfDay = WEEKDAYS.map((day) => sets.findIndex((set) => (set.days || []).includes(day)));
  const perSet = sets.map(startsOf);
  const problems = sets.flatMap(phaseProblems);
  // as the server: the days of the sets are checked once each set is valid on its own
  if (!problems.length) problems.push(...dayProblems(sets, setOfDay));
  const startsOn = (dayIndex) => (setOfDay[dayIndex] === -1 ? [] : perSet[setOfDay[dayIndex]]);
  const carriedInto = (dayIndex) => {
    for (let back = 1; back <= 7; back += 1) {
      const earlier = (dayIndex - back + 7) % 7;
      const starts = startsOn(earlier);
      if (starts.length) return { ...starts[starts.length - 1], from: WEEKDAYS[earlier] };
    }
    return null;
  };
  const staging = schedule.preStaging && schedule.preStaging.enabled !== false ? Number(schedule.preStaging.minutesBefore) : 0;
  const days = WEEKDAYS.map((day, dayIndex) => ({ day, set: setOfDay[dayIndex] === -1 ? null : setOfDay[dayIndex], segments: [], staging: [] }));
  days.forEach((entry, dayIndex) => {
    const before = carriedInto(dayIndex);
    let current = before ? { phase: before.phase, set: before.set, carried: true, carriedFrom: before.from } : { phase: 'offPeak', set: null, carried: false };
    let from = 0;
    for (const start of startsOn(dayIndex)) {
      if (start.at > from) entry.segments.push({ from, to: start.at, ...current });
      current = { phase: start.phase, set: start.set, carried: false };
      from = start.at;
    }
    entry.segments.push({ from, to: DAY_MINUTES, ...current });
    if (staging > 0) {
      for (const start of startsOn(dayIndex).filter((one) => one.phase === 'rampUp')) {
        const begins = start.at - staging;
        if (begins >= 0) entry.staging.push({ from: begins, to: start.at });
        else {
          if (start.at > 0) entry.staging.push({ from: 0, to: start.at });
          days[(dayIndex + 6) % 7].staging.push({ from: DAY_MINUTES + begins, to: DAY_MINUTES });
        }
      }
    }
  });
  return { days, problems, builtIn: !sets.some((_, index) => perSet[index].length) };
}

const capital = (value) => value.charAt(0).toUpperCase() + value.slice(1);
export const PHASE_WORDS = { rampUp: 'Ramp-up', peak: 'Peak', rampDown: 'Ramp-down', offPeak: 'Off-peak' };

/** A day of the layout in words: 'Off-peak 00:00–07:00 (from Sunday), ramp-up 07:00–09:00, ...'. */
export function describeDay(entry) {
  if (entry.segments.length === 1 && entry.segments[0].set === null) return 'The built-in rule all day: hosts start as sessions fill them, 10% spare.';
  const parts = entry.segments.map((segment, index) => {
    const name = PHASE_WORDS[segment.phase];
    const words = `${index ? name.toLowerCase() : name} ${clock(segment.from)}–${clock(segment.to)}`;
    return segment.carried ? `${words} (from ${capital(segment.carriedFrom)})` : words;
  });
  const staged = entry.staging.map((window) => `pre-staging ${clock(window.from)}–${clock(window.to)}`);
  return [...parts, ...staged].join(', ');
}

/** The hours of a week's chart each phase holds, for the chart's one-line summary. */
export function phaseHours(layout) {
  const hours = Object.fromEntries(SCHEDULE_PHASES.map((name) => [name, 0]));
  for (const entry of layout.days) for (const segment of entry.segments) hours[segment.phase] += (segment.to - segment.from) / 60;
  return hours;
}

// a time the replay reads: a date, a time and its offset (Z or ±HH:MM); a space may stand for the T
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A load curve typed one point a line ("2026-11-02T08:00Z 12", or "2026-11-02 08:00Z, 12"): `{points, lines, errors}`;
 * empty lines and lines starting with # are skipped, `lines[i]` is the line of the i-th point (for the server's
 * messages). No text, no curve: the replay then uses the recorded sessions.
 */
export function parseLoadCurve(textValue) {
  const points = [];
  const lines = [];
  const errors = [];
  String(textValue || '').split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const tokens = line.split(/[\s,;]+/).filter(Boolean);
    const sessions = tokens.pop();
    const dateTime = tokens.join('T');
    if (!DATE_TIME.test(dateTime) || Number.isNaN(Date.parse(dateTime))) {
      errors.push(`Line ${index + 1}: "${line}" needs a time with its offset, such as 2026-11-02T08:00Z, then the users signed in.`);
    } else if (!/^\d+$/.test(sessions ?? '')) {
      errors.push(`Line ${index + 1}: the users signed in must be a whole number, 0 or more.`);
    } else {
      points.push({ dateTime, sessions: Number(sessions) });
      lines.push(index + 1);
    }
  });
  return { points, lines, errors };
}

// users signed in over a working day, hour by hour (a share of the peak)
const WORKING_DAY = [0, 0, 0, 0, 0, 0, 0.05, 0.3, 0.7, 0.95, 1, 1, 0.8, 0.95, 1, 0.9, 0.7, 0.4, 0.15, 0.05, 0, 0, 0, 0];

/** A working day's curve on `date` (YYYY-MM-DD, UTC) for `peak` users, as the load curve's text. */
export function sampleDay(date, peak) {
  return WORKING_DAY.map((share, hour) => `${date}T${String(hour).padStart(2, '0')}:00Z ${Math.round(share * peak)}`)
    .concat(`${date}T23:55Z 0`).join('\n');
}
