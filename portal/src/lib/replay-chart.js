// A schedule's replay drawn: hosts running hour by hour for the proposed and the current schedule, over the hosts the users needed.

const HOUR = 3600 * 1000;

/** Hour labels in the schedule's zone ('Mon 08:00'); UTC when the zone is not one the browser knows. */
export function hourLabeller(timeZone, locale) {
  const options = { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  try {
    const format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    return { zone: timeZone, label: (instant) => format.format(new Date(instant)) };
  } catch {
    const format = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' });
    return { zone: 'UTC', label: (instant) => format.format(new Date(instant)) };
  }
}

/** A round step for `count` hours on the axis, at most `most` labels: 1, 2, 3, 6, 12 hours or whole days. */
export function hourStep(count, most = 8) {
  return [1, 2, 3, 6, 12, 24, 48, 72, 168].find((step) => count / step <= most) ?? 168;
}

const px = (value) => Number(value.toFixed(1));

/** `d` of a step line through each hour's value: flat across its hour, straight up or down at the next. */
export function stepPath(values, x, y) {
  const parts = [`M${px(x(0))} ${px(y(values[0]))}`];
  values.forEach((value, index) => {
    if (index) parts.push(`V${px(y(value))}`);
    parts.push(`H${px(x(index + 1))}`);
  });
  return parts.join(' ');
}

/**
 * The replay's hours (`hours[]` of POST .../schedule?validateOnly=true) laid out in px: a bar a hour for the hosts the
 * users needed at the hour's peak (sessions ÷ sessions per host), a step line each for the hosts the proposed and the
 * current schedule ran (an hour's host-hours are its average hosts running), a mark where sign-ins found no free
 * session, and the axes' ticks.
 */
export function layoutReplay(replay, options = {}) {
  const { width = 880, height = 260, left = 44, right = 12, top = 28, bottom = 40, timeZone = 'UTC', locale } = options;
  const hours = replay.hours || [];
  const perHost = Math.max(1, replay.maxSessionsPerHost || 1);
  const needed = hours.map((hour) => Math.min(replay.sessionHosts, Math.ceil(hour.peakSessions / perHost)));
  const proposed = hours.map((hour) => hour.proposed.hostHours);
  const current = hours.map((hour) => hour.current.hostHours);
  const most = Math.max(1, replay.sessionHosts || 0, ...proposed, ...current, ...needed);
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const slot = hours.length ? plotWidth / hours.length : plotWidth;
  const x = (index) => left + index * slot;
  const y = (value) => top + plotHeight - (value / most) * plotHeight;
  const { zone, label } = hourLabeller(timeZone, locale);
  const starts = hours.map((hour) => Date.parse(hour.start));

  const step = hourStep(hours.length);
  const xTicks = [];
  for (let index = 0; index < hours.length; index += step) xTicks.push({ x: x(index), label: label(starts[index]) });
  const yStep = most <= 8 ? 1 : Math.ceil(most / 6);
  const yTicks = [];
  for (let value = 0; value <= most; value += yStep) yTicks.push({ y: y(value), value });

  const failed = [];
  hours.forEach((hour, index) => {
    for (const [series, line] of [['proposed', proposed], ['current', current]]) {
      const count = hour[series].failedSignIns;
      if (count) failed.push({ series, count, x: x(index) + slot / 2, y: y(line[index]), hour: label(starts[index]) });
    }
  });
  return {
    width, height, left, top, plotWidth, plotHeight, zone, most,
    bars: needed.map((value, index) => ({ x: x(index) + slot * 0.15, width: Math.max(1, slot * 0.7), y: y(value), height: y(0) - y(value), value, hour: label(starts[index]) })),
    proposed: hours.length ? stepPath(proposed, x, y) : '',
    current: hours.length ? stepPath(current, x, y) : '',
    failed,
    xTicks,
    yTicks,
    baseline: y(0),
    labels: starts.map((start) => label(start)),
    spanHours: hours.length,
    start: starts[0] ?? null,
    end: starts.length ? starts[starts.length - 1] + HOUR : null,
  };
}

/** The replay's totals as sentences: the proposed schedule beside the current one, and what changes. */
export function replaySummary(replay) {
  const { proposed, current } = replay;
  const hours = (value) => `${Number(value.toFixed(1))} host-hour${value === 1 ? '' : 's'}`;
  const change = proposed.hostHours - current.hostHours;
  const share = current.hostHours ? Math.round((Math.abs(change) / current.hostHours) * 100) : null;
  const costs = change === 0 ? 'The same host-hours as the current schedule'
    : `${hours(Math.abs(change))} ${change < 0 ? 'fewer' : 'more'} than the current schedule${share !== null ? ` (${share}% ${change < 0 ? 'less' : 'more'})` : ''}`;
  const refused = proposed.failedSignIns - current.failedSignIns;
  const signIns = refused === 0 ? `the same sign-ins with no free session (${proposed.failedSignIns})`
    : `${Math.abs(refused)} ${refused < 0 ? 'fewer' : 'more'} sign-in${Math.abs(refused) === 1 ? '' : 's'} with no free session (${proposed.failedSignIns} against ${current.failedSignIns})`;
  return `${costs}, and ${signIns}.`;
}
