// A tenant's costs as the pages show them: the range asked for, money in the report's currency, the savings by cause in an admin's words, the daily chart's panel, the CSV's file name, and a month beside the month before.

const isoDay = (date) => date.toISOString().slice(0, 10);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;

/** This month so far, in UTC days as the API counts them: its first day to today. */
export function monthToDate(now = new Date()) {
  return { from: isoDay(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))), to: isoDay(now) };
}

/** The range a page's query asks for (`from`, `to`), each this month so far where the query has no day; the API
 * refuses a reversed or too long range itself, and the page shows its words. */
export function costRange(query, now = new Date()) {
  const fallback = monthToDate(now);
  const day = (value, otherwise) => (DAY.test(value || '') ? value : otherwise);
  return { from: day(query.from, fallback.from), to: day(query.to, fallback.to) };
}

/** A report's query: only what is set (the API's own defaults for the rest: its first currency, groupBy day). */
export function costQuery({ from, to, currency, groupBy, spotGroupId } = {}) {
  const query = { from, to, groupBy, currency, spotGroupId };
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== null && value !== ''));
}

/** The export's file name: costs-<tenant>-<from>-<to>.csv. */
export const csvName = (tenant, range) => `costs-${tenant}-${range.from}-${range.to}.csv`;

/** An amount in the report's currency, two decimals (the API keeps four; the CSV has them). */
export function money(value, currency, locale) {
  return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 })
    .format(value || 0);
}

/** What was saved against the baseline, as a whole percent of it ('—' with no baseline). */
export function savedShare(figures) {
  return figures.baseline > 0 ? `${Math.round((figures.savings / figures.baseline) * 100)}%` : '—';
}

// the report's causes of savings (savingsByCause), each in an admin's words and with what it counts
export const SAVINGS_CAUSES = [
  { key: 'schedules', title: 'Schedules', says: 'session hosts deallocated by their schedule or for want of load' },
  { key: 'onDemand', title: 'Hosts made on demand', says: 'hosts made and deleted as load asked, against the group\'s peak kept all day' },
  { key: 'spot', title: 'Spot VMs', says: 'Spot VMs billed at the Spot price instead of pay as you go' },
  { key: 'sleep', title: 'Asleep when unused', says: 'Cloud PCs deallocated while nobody used them' },
];

// the daily chart: one panel, the baseline and the actual cost side by side each day
export const COST_SERIES = [
  { key: 'baseline', title: 'Baseline: running 24x7 on demand' },
  { key: 'actual', title: 'Actual' },
];
export const COST_PANELS = [{ key: 'cost', title: 'Cost per day', whole: false, series: COST_SERIES }];
export const costDay = (row) => row.key;

/** The range's figures in a sentence, for the chart's name and caption. */
export function costSummary(report, locale) {
  const { total, currency } = report;
  const amount = (value) => money(value, currency, locale);
  return `${amount(total.actual)} actual against a baseline of ${amount(total.baseline)} over ${report.value.length} `
    + `day${report.value.length === 1 ? '' : 's'}: ${amount(total.savings)} saved (${savedShare(total)}).`;
}

/** What the figures rest on, for the line beside them: estimates from the list prices of a day, and what had none. */
export function pricesSentence(prices, dayName = (day) => day) {
  const read = prices?.asOf ? `Estimates from Azure's list prices as read on ${dayName(prices.asOf)}`
    : 'Estimates: no list prices have been read yet';
  const missing = prices?.missing?.length
    ? ` No price for ${prices.missing.map((entry) => entry.replace('/', ' ')).join(', ')}: ${prices.missing.length === 1 ? 'its' : 'their'} cost is left out.`
    : '';
  return `${read}, pay as you go: your bill carries your own discounts.${missing}`;
}

/** A 'YYYY-MM' month by name ('November 2026'), in UTC as the API counts months. */
export function monthName(month, locale) {
  if (!MONTH.test(month || '')) return month || '';
  return new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
}

/** The month before a 'YYYY-MM' month. */
export function monthBefore(month) {
  const [year, number] = month.split('-').map(Number);
  return number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, '0')}`;
}

/** The users a comparison recommends a change for, the largest monthly difference first. */
export function recommended(rows) {
  const now = (row) => Math.max(...['windows365Monthly', 'azureMonthly', 'pooledMonthly'].map((key) => row[key] ?? 0));
  const least = (row) => Math.min(...['windows365Monthly', 'azureMonthly', 'pooledMonthly'].map((key) => row[key] ?? Infinity));
  return rows.filter((row) => row.recommendation).sort((a, b) => (now(b) - least(b)) - (now(a) - least(a))
    || (a.userPrincipalName || '').localeCompare(b.userPrincipalName || ''));
}
