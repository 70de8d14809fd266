import test from 'node:test';
import assert from 'node:assert/strict';
import {
  COST_PANELS, costDay, costQuery, costRange, costSummary, csvName, money, monthBefore, monthName, monthToDate,
  pricesSentence, recommended, savedShare,
} from '../src/lib/costs.js';
import { layoutDaily } from '../src/lib/usage.js';

test('by default the range is this month so far, in UTC days, whatever the hour', () => {
  assert.deepEqual(monthToDate(new Date('2026-11-26T23:59:00Z')), { from: '2026-11-01', to: '2026-11-26' });
  assert.deepEqual(monthToDate(new Date('2026-03-01T00:00:00Z')), { from: '2026-03-01', to: '2026-03-01' });
});

test('a range asked for is kept as asked, a missing or malformed day is this month\'s', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  assert.deepEqual(costRange({ from: '2026-10-01', to: '2026-10-31' }, now), { from: '2026-10-01', to: '2026-10-31' });
  assert.deepEqual(costRange({ from: '2026-10-05' }, now), { from: '2026-10-05', to: '2026-11-26' });
  assert.deepEqual(costRange({ from: 'yesterday', to: '' }, now), { from: '2026-11-01', to: '2026-11-26' });
  // reversed: the API's refusal says so, in its words
  assert.deepEqual(costRange({ from: '2026-11-20', to: '2026-11-02' }, now), { from: '2026-11-20', to: '2026-11-02' });
});

test('a report\'s query names only what is set; the API defaults the rest', () => {
  assert.deepEqual(costQuery({ from: '2026-11-01', to: '2026-11-26', currency: '', groupBy: 'day' }),
    { from: '2026-11-01', to: '2026-11-26', groupBy: 'day' });
  assert.deepEqual(costQuery({ groupBy: 'day', spotGroupId: 'g1', currency: 'EUR' }), { groupBy: 'day', currency: 'EUR', spotGroupId: 'g1' });
});

test('the CSV is named for the tenant and the range', () => {
  assert.equal(csvName('contoso', { from: '2026-11-01', to: '2026-11-26' }), 'costs-contoso-2026-11-01-2026-11-26.csv');
});

test('money in the report\'s currency with two decimals; the share saved of the baseline', () => {
  assert.equal(money(12.3456, 'USD', 'en-US'), '$12.35');
  assert.equal(money(0, 'EUR', 'en-GB'), '€0.00');
  assert.equal(savedShare({ baseline: 40, savings: 30 }), '75%');
  assert.equal(savedShare({ baseline: 0, savings: 0 }), '—');
});

const REPORT = {
  currency: 'USD',
  total: { actual: 10, baseline: 40, savings: 30 },
  value: [
    { key: '2026-11-01', kind: 'day', actual: 4, baseline: 24, savings: 20 },
    { key: '2026-11-02', kind: 'day', actual: 6, baseline: 16, savings: 10 },
  ],
  prices: { source: 'azureRetailPrices', asOf: '2026-11-25', missing: [] },
};

test('the range is summed in a sentence', () => {
  assert.equal(costSummary(REPORT, 'en-US'), '$10.00 actual against a baseline of $40.00 over 2 days: $30.00 saved (75%).');
});

test('the daily chart draws the baseline and the actual cost side by side each day, on one axis', () => {
  const layout = layoutDaily(REPORT.value, { panels: COST_PANELS, dayOf: costDay, width: 248, left: 48, right: 0, panel: 100, top: 20, bottom: 30, locale: 'en-GB' });
  const [panel] = layout.panels;
  assert.deepEqual(panel.yTicks.map((tick) => tick.value), [0, 10, 20, 30]);
  assert.deepEqual(panel.bars.map((bar) => [bar.series, bar.day, bar.x, bar.width, Number(bar.height.toFixed(2))]), [
    ['baseline', '2026-11-01', 63, 35, 80], ['baseline', '2026-11-02', 163, 35, 53.33],
    ['actual', '2026-11-01', 98, 35, 13.33], ['actual', '2026-11-02', 198, 35, 20],
  ]);
  assert.deepEqual(layout.xTicks.map((tick) => tick.label), ['1 Nov', '2 Nov']);
});

test('the prices a report rests on: their day, and what had no price', () => {
  assert.equal(pricesSentence(REPORT.prices), 'Estimates from Azure\'s list prices as read on 2026-11-25, pay as you go: your bill carries your own discounts.');
  assert.equal(pricesSentence({ asOf: null, missing: ['westeurope/Standard_D2s_v5', 'westeurope/P10'] }, () => 'never'),
    'Estimates: no list prices have been read yet, pay as you go: your bill carries your own discounts. No price for '
    + 'westeurope Standard_D2s_v5, westeurope P10: their cost is left out.');
});

test('months by name, and the month before', () => {
  assert.equal(monthName('2026-11', 'en-GB'), 'November 2026');
  assert.equal(monthBefore('2026-11'), '2026-10');
  assert.equal(monthBefore('2026-01'), '2025-12');
});

test('the users recommended a change, the largest difference first', () => {
  const rows = [
    { userPrincipalName: 'a', windows365Monthly: 31, azureMonthly: 9.8, pooledMonthly: 6, recommendation: 'pooled' },
    { userPrincipalName: 'b', windows365Monthly: 31, azureMonthly: 40, pooledMonthly: 20, recommendation: null },
    { userPrincipalName: 'c', windows365Monthly: 66, azureMonthly: 12, pooledMonthly: null, recommendation: 'azure' },
  ];
  assert.deepEqual(recommended(rows).map((row) => row.userPrincipalName), ['c', 'a']);
});
