import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dailySummary, dayLabeller, dayRange, dayStep, layoutDaily, niceTicks, resizesByPlan, sortUsage,
} from '../src/lib/usage.js';

test('the last n days end on today in UTC, whatever the hour', () => {
  assert.deepEqual(dayRange(7, new Date('2026-11-26T23:59:00Z')), { from: '2026-11-20', to: '2026-11-26' });
  assert.deepEqual(dayRange(30, new Date('2026-03-01T00:00:00Z')), { from: '2026-01-31', to: '2026-03-01' });
});

test('a day is the UTC day the API counted, in the reader\'s words', () => {
  assert.equal(dayLabeller('en-GB')('2026-11-20'), '20 Nov');
});

test('an axis goes up in round steps to at least its largest value', () => {
  assert.deepEqual(niceTicks(2.75), [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(10), [0, 2.5, 5, 7.5, 10]);
  assert.deepEqual(niceTicks(0.4), [0, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(niceTicks(3, { whole: true }), [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(1, { whole: true }), [0, 1]);
  assert.deepEqual(niceTicks(17, { whole: true }), [0, 5, 10, 15, 20]);
  assert.deepEqual(niceTicks(0), [0, 1]); // nothing used: an axis still
});

test('days are named every day for a week, weekly for a month, fortnightly for a quarter', () => {
  assert.deepEqual([7, 30, 90].map((days) => dayStep(days)), [1, 7, 14]);
});

const DAILY = [
  { date: '2026-11-20', connectedHours: 2, activeCloudPcs: 1, activeUsers: 1 },
  { date: '2026-11-21', connectedHours: 0, activeCloudPcs: 0, activeUsers: 0 },
  { date: '2026-11-22', connectedHours: 3.5, activeCloudPcs: 2, activeUsers: 2 },
  { date: '2026-11-23', connectedHours: 1, activeCloudPcs: 1, activeUsers: 1 },
];

test('the daily chart is a panel a series over the same days, each bar its day\'s value', () => {
  const layout = layoutDaily(DAILY, { width: 448, left: 48, right: 0, panel: 100, gap: 40, top: 20, bottom: 30, locale: 'en-GB' });
  assert.equal(layout.plotWidth, 400);
  const [hours, users] = layout.panels;
  assert.equal(hours.title, 'Connected hours');
  assert.deepEqual(hours.yTicks.map((tick) => tick.value), [0, 1, 2, 3, 4]);
  assert.equal(hours.baseline, 120);
  assert.deepEqual(hours.bars.map((bar) => [bar.x, bar.height]), [[63, 50], [163, 0], [263, 87.5], [363, 25]]);
  assert.equal(hours.bars[2].label, '22 Nov');
  assert.equal(users.top, 160);
  assert.deepEqual(users.yTicks.map((tick) => tick.value), [0, 1, 2]);
  assert.deepEqual(users.bars.map((bar) => bar.height), [50, 0, 100, 50]);
  assert.deepEqual(layout.xTicks.map((tick) => [tick.x, tick.label]), [[98, '20 Nov'], [198, '21 Nov'], [298, '22 Nov'], [398, '23 Nov']]);
  assert.equal(layout.height, 290);
});

test('the range is summed in a sentence', () => {
  assert.equal(dailySummary(DAILY), '6.5 connected hours over 4 days; someone connected on 3 of them, at most 2 users on one day.');
});

const ROWS = [
  { displayName: 'b', connectedHours: 2, lastConnectedDateTime: '2026-11-20T10:00:00Z' },
  { displayName: 'a', connectedHours: 0 },
  { displayName: 'c', connectedHours: 2, lastConnectedDateTime: '2026-11-25T10:00:00Z' },
  { displayName: 'd', connectedHours: 0, lastConnectedDateTime: '2026-09-01T10:00:00Z' },
];

test('the Cloud PCs sort by hours or last connection, never connected the longest ago, ties by name', () => {
  const names = (order) => sortUsage(ROWS, order).map((row) => row.displayName).join('');
  assert.equal(names('hoursMost'), 'bcad');
  assert.equal(names('hoursFewest'), 'adbc');
  assert.equal(names('lastRecent'), 'cbda');
  assert.equal(names('lastLongAgo'), 'adbc');
  assert.equal(names('unknown'), 'bcad');
  assert.equal(ROWS[0].displayName, 'b'); // the list given stays as it was
});

test('a selection of the report is one resize per recommended plan, and the rows with none apart', () => {
  const report = [
    { cloudPcId: '1', recommendedServicePlanId: 'w365-8' },
    { cloudPcId: '2', recommendedServicePlanId: 'w365-2' },
    { cloudPcId: '3', recommendedServicePlanId: null },
    { cloudPcId: '4', recommendedServicePlanId: 'w365-8' },
    { cloudPcId: '5', recommendedServicePlanId: 'w365-2' },
    { cloudPcId: '6', recommendedServicePlanId: null, notResizableReason: 'The recommended plan has a smaller disk.' },
  ];
  const { resizes, withoutPlan, notResizable } = resizesByPlan(report, new Set(['1', '3', '4', '5', '6']));
  assert.deepEqual(resizes, [
    { targetServicePlanId: 'w365-8', cloudPcIds: ['1', '4'] },
    { targetServicePlanId: 'w365-2', cloudPcIds: ['5'] },
  ]);
  assert.deepEqual(withoutPlan.map((row) => row.cloudPcId), ['3']);
  assert.deepEqual(notResizable.map((row) => row.cloudPcId), ['6']); // skipped with its reason, not resized
  assert.deepEqual(resizesByPlan(report, new Set()), { resizes: [], notResizable: [], withoutPlan: [] });
});
