import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatOffset, layoutTimeline, lineMessage, lineName, ticksFor } from '../src/lib/timeline.js';

const at = (seconds) => new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + seconds * 1000).toISOString();
let next = 0;
const step = (name, attempt, from, to, outcome = 'succeeded', extra = {}) => ({
  id: `e${(next += 1)}`, kind: 'step', name, stage: 'core', attempt, run: 1, generation: 1,
  dateTime: at(to ?? from), startDateTime: at(from), endDateTime: to === null ? null : at(to), outcome, ...extra,
});
const milestone = (name, seconds, extra = {}) => ({
  id: `m${(next += 1)}`, kind: 'milestone', name, stage: 'lifecycle', attempt: 0, run: 1, generation: 1,
  dateTime: at(seconds), startDateTime: null, endDateTime: at(seconds), outcome: 'info', ...extra,
});
const OPTIONS = { width: 880, labelWidth: 168, minBar: 4 };
const RIGHT = 880 - 4 - 2; // where the plot ends

test('one attempt: one row, a bar per step left to right, the last ending at the right edge', () => {
  const layout = layoutTimeline([step('createVm', 1, 0, 30), step('joinEntra', 1, 30, 40)], OPTIONS);
  assert.deepEqual(layout.rows.map((row) => [row.label, row.outcome]), [['Attempt 1', 'succeeded']]);
  const [vm, join] = layout.bars;
  assert.equal(vm.x, 168);
  assert.ok(Math.abs(join.x + join.width - RIGHT) < 1e-6);
  assert.ok(Math.abs(vm.width - 3 * join.width) < 1e-6, 'width is proportional to duration');
  assert.equal(vm.y, join.y, 'steps one after another share a lane');
  assert.deepEqual(layout.runs, [1]);
});

test('three attempts, the last failed: three rows in order, each with its outcome', () => {
  const events = [
    milestone('provisioningStarted', 0, { attempt: 1 }),
    step('createVm', 1, 0, 5, 'failed'),
    milestone('attemptFailed', 5, { attempt: 1, outcome: 'failed' }),
    step('createVm', 2, 10, 15),
    step('joinEntra', 2, 15, 20, 'failed'),
    step('createVm', 3, 30, 40),
    step('joinEntra', 3, 40, 50, 'failed'),
    milestone('attemptFailed', 50, { attempt: 3, outcome: 'failed' }),
    milestone('provisioningFailed', 51, { outcome: 'failed' }),
  ];
  const layout = layoutTimeline(events, OPTIONS);
  assert.deepEqual(layout.rows.map((row) => [row.attempt, row.outcome]), [[1, 'failed'], [2, 'failed'], [3, 'failed']]);
  assert.ok(layout.rows[0].y < layout.rows[1].y && layout.rows[1].y < layout.rows[2].y);
  assert.equal(layout.bars.length, 5);
  const result = layout.markers.find((marker) => marker.name === 'provisioningFailed');
  assert.equal(result.row, layout.rows[2].key, 'the run result is marked on the last attempt');
  assert.equal(layout.markers.filter((marker) => marker.name === 'attemptFailed').length, 2);
  assert.ok(layout.markers.every((marker) => marker.x >= 168 && marker.x <= RIGHT));
});

test('a step still running reaches now, and its row is running', () => {
  const now = Date.parse(at(60));
  const layout = layoutTimeline([step('createVm', 1, 0, 10), step('joinEntra', 1, 10, null, 'running')], { ...OPTIONS, now });
  const running = layout.bars[1];
  assert.equal(running.end, now);
  assert.equal(running.running, true);
  assert.ok(Math.abs(running.x + running.width - RIGHT) < 1e-6);
  assert.equal(layout.rows[0].outcome, 'running');
  assert.equal(layout.end, now);
});

test('a running step that started after now (clock skew) is an instant, not a negative bar', () => {
  const layout = layoutTimeline([step('createVm', 1, 0, 10), step('joinEntra', 1, 20, null, 'running')], { ...OPTIONS, now: Date.parse(at(5)) });
  assert.ok(layout.bars.every((bar) => bar.width >= 4));
  assert.equal(layout.bars[1].start, layout.bars[1].end);
});

test('events out of order are laid out by time; lifecycle milestones are left to the table', () => {
  const events = [
    step('assignUser', 1, 40, 50),
    milestone('rebootRequested', 500),
    milestone('provisioned', 50),
    step('createVm', 1, 0, 40),
  ];
  const layout = layoutTimeline(events, OPTIONS);
  assert.deepEqual(layout.bars.map((bar) => bar.name), ['createVm', 'assignUser']);
  assert.ok(layout.bars[0].x < layout.bars[1].x);
  assert.deepEqual(layout.markers.map((marker) => marker.name), ['provisioned']);
  assert.equal(layout.end - layout.start, 50_000, 'a reboot days later does not stretch the axis');
});

test('events with no end: an instant at their start, still wide enough to see', () => {
  const events = [step('createVm', 1, 0, 100), step('setTeamsVdiMode', 1, 50, null, 'warning', { dateTime: null }), step('assignUser', 1, 100, 100)];
  const layout = layoutTimeline(events, OPTIONS);
  const [, noEnd, instant] = layout.bars;
  assert.equal(noEnd.start, noEnd.end);
  assert.equal(noEnd.width, 4);
  assert.equal(instant.width, 4);
  assert.equal(layout.rows[0].outcome, 'warning');
});

test('overlapping steps of one attempt take lanes; the row grows to hold them', () => {
  const layout = layoutTimeline([step('scriptA', 1, 0, 20), step('scriptB', 1, 5, 15), step('assignUser', 1, 20, 30)], { ...OPTIONS, laneHeight: 22 });
  assert.equal(layout.rows[0].height, 44);
  const [a, b, assign] = layout.bars;
  assert.notEqual(a.y, b.y);
  assert.equal(assign.y, a.y, 'a step after the first lane frees takes it again');
  assert.equal(layout.height, 26 + 44 + 8);
});

test('a retried Cloud PC: the latest run by default, an earlier one on request', () => {
  const events = [step('createVm', 1, 0, 5, 'failed'), step('createVm', 1, 3600, 3610, 'succeeded', { run: 2 })];
  const latest = layoutTimeline(events, OPTIONS);
  assert.deepEqual(latest.runs, [1, 2]);
  assert.equal(latest.run, 2);
  assert.deepEqual(latest.bars.map((bar) => bar.outcome), ['succeeded']);
  const first = layoutTimeline(events, { ...OPTIONS, run: 1 });
  assert.deepEqual(first.bars.map((bar) => bar.outcome), ['failed']);
  assert.equal(layoutTimeline(events, { ...OPTIONS, run: 7 }).run, 2, 'an unknown run falls back to the latest');
});

test('nothing to draw without steps', () => {
  assert.deepEqual(layoutTimeline([]).bars, []);
  const onlyLifecycle = layoutTimeline([milestone('renamed', 0)]);
  assert.equal(onlyLifecycle.rows.length, 0);
  assert.equal(onlyLifecycle.height, 0);
});

test('axis ticks fall on round offsets from the start and never repeat a label', () => {
  const layout = layoutTimeline([step('createVm', 1, 0, 0.4), step('assignUser', 1, 0.4, 0.9)], OPTIONS);
  const labels = layout.ticks.map((tick) => tick.label);
  assert.equal(new Set(labels).size, labels.length);
  assert.equal(labels[0], '0');
  assert.equal(layout.ticks[0].x, 168);
  assert.deepEqual(ticksFor(90_000).ticks, [0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000]);
  const edge = layoutTimeline([step('createVm', 1, 0, 90)], OPTIONS).ticks;
  assert.equal(edge.at(-1).label, '+1 min 30 s');
  assert.equal(edge.at(-1).anchor, 'end', 'the label at the right edge is not cut off');
  assert.equal(edge[1].anchor, 'middle');
  assert.equal(ticksFor(4 * 3600_000).step, 3600_000);
});

test('a phone-wide chart keeps its tick labels apart: fewer ticks, each at least 72 px from the next', () => {
  const layout = layoutTimeline([step('createVm', 1, 0, 90)], { width: 340, labelWidth: 96, minBar: 4 });
  assert.ok(layout.ticks.length >= 2 && layout.ticks.length <= 3, `${layout.ticks.length} ticks`);
  layout.ticks.slice(1).forEach((tick, index) => assert.ok(tick.x - layout.ticks[index].x >= 72 - 1e-6));
});

test('offsets read as a person would say them', () => {
  assert.equal(formatOffset(0), '0');
  assert.equal(formatOffset(500), '+500 ms');
  assert.equal(formatOffset(1500), '+1.5 s');
  assert.equal(formatOffset(90_000), '+1 min 30 s');
  assert.equal(formatOffset(120_000), '+2 min');
  assert.equal(formatOffset(5_400_000), '+1 h 30 min');
});

test('the sleep and wake lines read in an admin\'s words; every other line as its name made words', () => {
  assert.deepEqual(['sleepStarted', 'asleep', 'awake'].map(lineName), ['Put to sleep', 'Asleep', 'Woke up']);
  assert.equal(lineName('createVm'), 'Create the VM');
  assert.equal(lineName('runScript:0'), 'Run script 1');
  assert.equal(lineMessage('createVm: Azure did not answer'), 'Create the VM: Azure did not answer');
  assert.equal(lineMessage('Note: nothing'), 'Note: nothing');
  assert.equal(lineName('deleteImageVersion:1.0.0'), 'Delete image version 1.0.0');
  assert.equal(lineName('provisioningStarted'), 'Provisioning started');
});
