// A rolling image update's rollout and maintenance window as plain data: the form's fields, the body, and the window in words.
import { MAINTENANCE_WINDOW_RANGES, ROLLOUT_RANGES, WEEKDAYS } from '../vocabulary.js';
import { clock, DAY_MINUTES, minutesOf } from './schedule.js';

const NOTIFY_DEFAULT_MINUTES = ROLLOUT_RANGES.notifyMinutesBefore.default;

const WINDOW = 'rollout.maintenanceWindow';
/** The form's field names, as the server's error targets name them (`rollout.maintenanceWindow.durationMinutes`). */
export const WINDOW_FIELDS = {
  days: `${WINDOW}.daysOfWeek`,
  start: `${WINDOW}.startTime`,
  duration: `${WINDOW}.durationMinutes`,
  timeZone: `${WINDOW}.timeZone`,
  notify: 'rollout.notifyMinutesBefore',
};

/** The update form's first values: the rollout's defaults, and a window (off until asked for) on weekend nights. */
export function rolloutValues(timeZone) {
  return {
    imageVersion: '',
    ...Object.fromEntries(['canaryCount', 'maxUnavailable', 'drainTimeoutMinutes'].map((name) => [`rollout.${name}`, ROLLOUT_RANGES[name].default])),
    inWindow: false,
    [WINDOW_FIELDS.days]: ['saturday', 'sunday'],
    [WINDOW_FIELDS.start]: '22:00',
    [WINDOW_FIELDS.duration]: 240,
    [WINDOW_FIELDS.timeZone]: timeZone || 'UTC',
    [WINDOW_FIELDS.notify]: NOTIFY_DEFAULT_MINUTES,
  };
}

const typed = (value) => (value === '' || value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? null : value);

/** The rollout as the PATCH takes it; the window and the warning only when the update is kept to a window. */
export function rolloutBody(values) {
  const rollout = {
    canaryCount: typed(values['rollout.canaryCount']),
    maxUnavailable: typed(values['rollout.maxUnavailable']),
    drainTimeoutMinutes: typed(values['rollout.drainTimeoutMinutes']),
  };
  if (!values.inWindow) return rollout;
  const notify = typed(values[WINDOW_FIELDS.notify]);
  if (notify !== null) rollout.notifyMinutesBefore = notify; // empty: the server's default
  const chosen = values[WINDOW_FIELDS.days] || [];
  rollout.maintenanceWindow = {
    daysOfWeek: WEEKDAYS.filter((day) => chosen.includes(day)),
    startTime: values[WINDOW_FIELDS.start] || '',
    durationMinutes: typed(values[WINDOW_FIELDS.duration]),
    timeZone: String(values[WINDOW_FIELDS.timeZone] || '').trim(),
  };
  return rollout;
}

/** The shortest window the server takes: a host's users warned, drained and signed out inside it. */
export function shortestWindow(values) {
  const notify = typed(values[WINDOW_FIELDS.notify]) ?? NOTIFY_DEFAULT_MINUTES;
  const drain = typed(values['rollout.drainTimeoutMinutes']) ?? 0;
  return Math.max(MAINTENANCE_WINDOW_RANGES.durationMinutes.minimum, Number(notify) + Number(drain));
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** 'Monday, Tuesday and Friday'; 'Every day'; 'Saturday and Sunday'. */
export function daysText(days) {
  const ordered = WEEKDAYS.filter((day) => (days || []).includes(day));
  if (ordered.length === WEEKDAYS.length) return 'Every day';
  if (!ordered.length) return 'No day';
  const named = ordered.map(capital);
  return named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
}

/** 240 -> '4 hours'; 90 -> '1 hour 30 minutes'; 45 -> '45 minutes'. */
export function lengthText(minutes) {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const parts = [hours && `${hours} hour${hours === 1 ? '' : 's'}`, rest && `${rest} minute${rest === 1 ? '' : 's'}`].filter(Boolean);
  return parts.join(' ') || '0 minutes';
}

/**
 * A window and its warning in a sentence: 'Saturday and Sunday from 23:00 for 4 hours (until 03:00 the next day),
 * Europe/Amsterdam time; users are warned 15 minutes before their host is drained.'
 */
export function windowSummary(timeWindow, notifyMinutesBefore = NOTIFY_DEFAULT_MINUTES) {
  if (!timeWindow) return 'Hosts are drained as they are reached, with no warning.';
  const start = minutesOf(timeWindow.startTime);
  const length = Number(timeWindow.durationMinutes);
  let when = `${daysText(timeWindow.daysOfWeek)} from ${timeWindow.startTime || '(no start time yet)'}`;
  if (start !== null && Number.isFinite(length) && length > 0) {
    const end = start + length;
    when += ` for ${lengthText(length)} (until ${clock(end % DAY_MINUTES)}${end >= DAY_MINUTES ? ' the next day' : ''})`;
  }
  const warning = Number(notifyMinutesBefore) > 0
    ? `users are warned ${notifyMinutesBefore} minutes before their host is drained`
    : 'users get no warning before their host is drained';
  return `${when}, ${timeWindow.timeZone || '(no time zone yet)'} time; ${warning}.`;
}

/** The form's window in words as it would be sent (an empty warning field is the server's default). */
export const rolloutSummary = (values) => {
  const rollout = rolloutBody(values);
  return windowSummary(rollout.maintenanceWindow, rollout.notifyMinutesBefore);
};

/** When a waiting update's window opens (`nextWindowDateTime`): `{at: Date, local: 'Monday 22:00 Europe/Amsterdam'}`, or null. */
export function windowOpening(update) {
  const at = update?.nextWindowDateTime ? new Date(update.nextWindowDateTime) : null;
  if (!at || Number.isNaN(at.getTime())) return null;
  const zone = update.rollout?.maintenanceWindow?.timeZone;
  try {
    const local = new Intl.DateTimeFormat('en-GB', { weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone })
      .format(at).replace(' at ', ' ');
    return { at, local: `${local} ${zone}` };
  } catch {
    return { at, local: null }; // a zone this browser does not know: the reader's own time says it
  }
}

/** What a waiting update is waiting for, in words; `format` writes the opening in the reader's own time. */
export function waitingText(update, format) {
  const opening = windowOpening(update);
  const waiting = 'The hosts not yet drained wait for the next maintenance window.';
  if (!opening) return update?.statusDetail?.message || waiting;
  return `${waiting} It opens ${opening.local ? `${opening.local} (${format(opening.at)} your time)` : `${format(opening.at)} your time`}.`;
}

/** The hosts whose users were warned of their drain, with what they were told (a host's `usersNotified` detail). */
export const warnedHosts = (hosts) => (hosts || []).filter((host) => host.statusDetail?.code === 'usersNotified');
