import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hourLabeller, hourStep, layoutReplay, replaySummary, stepPath } from '../src/lib/replay-chart.js';

const figures = (hostHours, peakHostsRunning = 0, failedSignIns = 0) => ({ hostHours, peakHostsRunning, failedSignIns });
// tests/e2e/test_spot_group_schedules.py's replay: 3 users from 01:00 to 02:00 on 3 hosts of 2 sessions
const REPLAY = {
  source: 'loadCurve', sessionHosts: 3, maxSessionsPerHost: 2, currentIsDefault: true,
  proposed: figures(5.5, 3, 0), current: figures(4.917, 3, 1),
  hours: [
    { start: '2026-11-02T00:00:00Z', peakSessions: 0, proposed: figures(1.5), current: figures(1) },
    { start: '2026-11-02T01:00:00Z', peakSessions: 3, proposed: figures(3), current: figures(2.917, 3, 1) },
    { start: '2026-11-02T02:00:00Z', peakSessions: 0, proposed: figures(1), current: figures(1) },
  ],
};

test('a step line is flat across each hour and changes at the next', () => {
  assert.equal(stepPath([1, 2], (i) => i * 10, (v) => 100 - v * 10), 'M0 90 H10 V80 H20');
});

test('the replay is laid out hour by hour: needed hosts as bars, both schedules as lines, refusals marked', () => {
  const layout = layoutReplay(REPLAY, { width: 344, height: 152, left: 44, right: 0, top: 12, bottom: 40, locale: 'en-GB' });
  assert.equal(layout.most, 3);
  assert.equal(layout.plotWidth, 300);
  assert.deepEqual(layout.bars.map((bar) => bar.value), [0, 2, 0]); // 3 users need 2 hosts of 2 sessions
  assert.equal(layout.baseline, 112);
  assert.equal(layout.bars[1].y, 112 - (2 / 3) * 100);
  assert.equal(layout.proposed, 'M44 62 H144 V12 H244 V78.7 H344');
  assert.deepEqual(layout.failed.map((mark) => [mark.series, mark.count, mark.x]), [['current', 1, 194]]);
  assert.deepEqual(layout.yTicks.map((tick) => tick.value), [0, 1, 2, 3]);
  assert.deepEqual(layout.xTicks.map((tick) => tick.label), ['Mon 00:00', 'Mon 01:00', 'Mon 02:00']);
  assert.equal(layout.zone, 'UTC');
  assert.equal(layout.end - layout.start, 3 * 3600 * 1000);
});

test("hours are labelled in the schedule's zone, and in UTC when the zone is unknown", () => {
  const amsterdam = hourLabeller('Europe/Amsterdam', 'en-GB');
  assert.equal(amsterdam.label(Date.parse('2026-11-02T07:00:00Z')), 'Mon 08:00');
  const unknown = hourLabeller('Mars/Olympus', 'en-GB');
  assert.equal(unknown.zone, 'UTC');
  assert.equal(unknown.label(Date.parse('2026-11-02T07:00:00Z')), 'Mon 07:00');
});

test('two weeks of hours get a label a day, a few hours one an hour', () => {
  assert.equal(hourStep(3), 1);
  assert.equal(hourStep(24), 3);
  assert.equal(hourStep(14 * 24), 48);
  const long = { ...REPLAY, hours: Array.from({ length: 14 * 24 }, (_, i) => ({ ...REPLAY.hours[0], start: new Date(Date.UTC(2026, 10, 2) + i * 3600e3).toISOString() })) };
  assert.equal(layoutReplay(long).xTicks.length, 7);
});

test('the totals in words: what the proposed schedule saves, and what it costs in refused sign-ins', () => {
  assert.equal(replaySummary(REPLAY), '0.6 host-hours more than the current schedule (12% more), and 1 fewer sign-in with no free session (0 against 1).');
  const cheaper = { proposed: figures(40, 4, 3), current: figures(50, 5, 3) };
  assert.equal(replaySummary(cheaper), '10 host-hours fewer than the current schedule (20% less), and the same sign-ins with no free session (3).');
});
