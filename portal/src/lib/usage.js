// A tenant's usage as the Usage page shows it: the days asked for, the daily chart laid out, the lists sorted, and the right-sizing report's selection by the plan each row recommends.

const DAY = 24 * 3600 * 1000;
const isoDay = (date) => date.toISOString().slice(0, 10);

/** The ranges the page offers, in days up to today. */
export const RANGE_CHOICES = [7, 30, 90];

/** The `from` and `to` UTC days of the last `days` days, today (in UTC, as the API counts days) the last. */
export function dayRange(days, now = new Date()) {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: isoDay(new Date(today - (days - 1) * DAY)), to: isoDay(new Date(today)) };
}

/** A UTC day ('2026-11-20') as its reader says it ('20 Nov'): the day the API counted, whatever the reader's zone. */
export function dayLabeller(locale, options = { day: 'numeric', month: 'short' }) {
  const format = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' });
  return (day) => format.format(new Date(`${day}T00:00:00Z`));
}

/** Round steps up an axis from 0 to at least `most`, about `count` of them; whole numbers only for counts. */
export function niceTicks(most, { count = 4, whole = false } = {}) {
  if (!(most > 0)) return [0, 1];
  const rough = most / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const factors = whole ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = Math.max(whole ? 1 : 0, factors.map((factor) => factor * magnitude).find((size) => size >= rough));
  const ticks = [];
  for (let index = 0; index * step < most + step * 1e-9; index += 1) ticks.push(Number((index * step).toFixed(6)));
  if (ticks[ticks.length - 1] < most) ticks.push(Number((ticks.length * step).toFixed(6)));
  return ticks;
}

/** How many days apart the axis names a day: every day for a week, a week apart for a month, two for a quarter. */
export function dayStep(count, most = 10) {
  return [1, 2, 7, 14, 28].find((step) => count / step <= most) ?? 28;
}

// the chart's two panels, one above the other over the same days
export const DAILY_SERIES = [
  { key: 'connectedHours', title: 'Connected hours', whole: false },
  { key: 'activeUsers', title: 'Active users', whole: true },
];

/**
 * Daily figures (`GET .../usage/daily`'s `value`, or any list of days) laid out in px: a panel per entry of `panels`
 * (DAILY_SERIES unless given: `{key, title, whole}`, or with `series: [{key, title}]` to draw several figures side by
 * side in one panel) with its bars, its ticks and where its plot starts and ends, over a shared axis of days named
 * every `dayStep` days; `dayOf(entry)` is an entry's UTC day.
 */
export function layoutDaily(daily, options = {}) {
  const {
    width = 880, panel = 130, gap = 40, left = 48, right = 12, top = 28, bottom = 32, locale,
    panels: wanted = DAILY_SERIES, dayOf = (entry) => entry.date,
  } = options;
  const plotWidth = width - left - right;
  const slot = plotWidth / Math.max(1, daily.length);
  const x = (index) => left + index * slot;
  const label = dayLabeller(locale);
  const panels = wanted.map((shown, index) => {
    const series = shown.series || [{ key: shown.key, title: shown.title }];
    const values = (key) => daily.map((entry) => entry[key] || 0);
    const ticks = niceTicks(Math.max(0, ...series.flatMap((one) => values(one.key))), { whole: shown.whole });
    const most = ticks[ticks.length - 1];
    const plotTop = top + index * (panel + gap);
    const baseline = plotTop + panel;
    const y = (value) => baseline - (value / most) * panel;
    const barWidth = (slot * 0.7) / series.length;
    return {
      ...shown, series, top: plotTop, baseline,
      yTicks: ticks.map((value) => ({ value, y: y(value) })),
      bars: series.flatMap((one, order) => values(one.key).map((value, at) => ({
        series: one.key, x: x(at) + slot * 0.15 + order * barWidth, width: Math.max(1, barWidth), y: y(value),
        height: baseline - y(value), value, day: dayOf(daily[at]), label: label(dayOf(daily[at])),
      }))),
    };
  });
  const step = dayStep(daily.length);
  const xTicks = [];
  for (let index = 0; index < daily.length; index += step) xTicks.push({ x: x(index) + slot / 2, label: label(dayOf(daily[index])) });
  const baseline = panels[panels.length - 1].baseline;
  return { width, height: baseline + bottom, left, right, plotWidth, panels, xTicks, axisY: baseline };
}

/** The range's totals in a sentence, for the chart's name and the page's summary. */
export function dailySummary(daily) {
  const hours = daily.reduce((sum, entry) => sum + entry.connectedHours, 0);
  const most = daily.reduce((top, entry) => Math.max(top, entry.activeUsers), 0);
  const days = daily.filter((entry) => entry.connectedHours > 0).length;
  return `${Number(hours.toFixed(1))} connected hours over ${daily.length} days; someone connected on ${days} of them, `
    + `at most ${most} user${most === 1 ? '' : 's'} on one day.`;
}

// the orders the Cloud PC list offers: by connected hours or by last connection, each either way
export const USAGE_ORDERS = {
  hoursMost: { label: 'Connected hours, most first', value: (row) => row.connectedHours, descending: true },
  hoursFewest: { label: 'Connected hours, fewest first', value: (row) => row.connectedHours, descending: false },
  lastRecent: { label: 'Last connection, most recent first', value: (row) => lastConnected(row), descending: true },
  lastLongAgo: { label: 'Last connection, longest ago first', value: (row) => lastConnected(row), descending: false },
};

// never connected is the longest ago of all
const lastConnected = (row) => (row.lastConnectedDateTime ? Date.parse(row.lastConnectedDateTime) : -Infinity);

/** The rows in the order named (a key of USAGE_ORDERS), ties by name; a new list, the one given unchanged. */
export function sortUsage(rows, order) {
  const { value, descending } = USAGE_ORDERS[order] || USAGE_ORDERS.hoursMost;
  const name = (row) => row.displayName || row.userPrincipalName || '';
  return [...rows].sort((a, b) => {
    const [first, second] = [value(a), value(b)];
    if (first !== second) return (first < second ? -1 : 1) * (descending ? -1 : 1);
    return name(a).localeCompare(name(b));
  });
}

/**
 * The selected rows of the right-sizing report as bulk resizes: one per recommended plan (`targetServicePlanId`, its
 * Cloud PCs in report order), the selected rows whose recommended plan a resize cannot take (`notResizable`, each
 * with its `notResizableReason`: skipped, not failed), and those that recommend none (right-sized, never used).
 */
export function resizesByPlan(report, selected) {
  const chosen = report.filter((row) => selected.has(row.cloudPcId));
  const byPlan = new Map();
  for (const row of chosen.filter((one) => one.recommendedServicePlanId)) {
    if (!byPlan.has(row.recommendedServicePlanId)) byPlan.set(row.recommendedServicePlanId, []);
    byPlan.get(row.recommendedServicePlanId).push(row.cloudPcId);
  }
  return {
    resizes: [...byPlan].map(([targetServicePlanId, cloudPcIds]) => ({ targetServicePlanId, cloudPcIds })),
    notResizable: chosen.filter((row) => !row.recommendedServicePlanId && row.notResizableReason),
    withoutPlan: chosen.filter((row) => !row.recommendedServicePlanId && !row.notResizableReason),
  };
}

const GB = 1024 ** 3;

/** Bytes as gigabytes, one decimal: 3221225472 -> '3 GB'. */
export const gigabytes = (bytes) => `${Number((bytes / GB).toFixed(1))} GB`;
