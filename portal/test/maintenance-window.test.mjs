import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  daysText, lengthText, rolloutBody, rolloutSummary, rolloutValues, shortestWindow, waitingText, warnedHosts, windowOpening, windowSummary,
} from '../src/lib/maintenance-window.js';

const WINDOW = { daysOfWeek: ['saturday'], startTime: '23:00', durationMinutes: 240, timeZone: 'Europe/Amsterdam' };

test('without a window the rollout is the three numbers alone', () => {
  assert.deepEqual(rolloutBody(rolloutValues('Europe/Amsterdam')), { canaryCount: 1, maxUnavailable: 1, drainTimeoutMinutes: 60 });
});

test('with a window: its days in the week\'s order, the start, length and zone, and the warning', () => {
  const values = {
    ...rolloutValues('Europe/Amsterdam'), inWindow: true, 'rollout.maintenanceWindow.daysOfWeek': ['sunday', 'saturday'],
    'rollout.maintenanceWindow.startTime': '23:00', 'rollout.notifyMinutesBefore': 0,
  };
  assert.deepEqual(rolloutBody(values), {
    canaryCount: 1, maxUnavailable: 1, drainTimeoutMinutes: 60, notifyMinutesBefore: 0,
    maintenanceWindow: { daysOfWeek: ['saturday', 'sunday'], startTime: '23:00', durationMinutes: 240, timeZone: 'Europe/Amsterdam' },
  });
  // an empty warning field is left to the server's 15; an empty length goes as null, for the server to name
  const empty = rolloutBody({ ...values, 'rollout.notifyMinutesBefore': Number.NaN, 'rollout.maintenanceWindow.durationMinutes': Number.NaN });
  assert.equal('notifyMinutesBefore' in empty, false);
  assert.equal(empty.maintenanceWindow.durationMinutes, null);
});

test('the window starts as weekend nights in the admin\'s own time zone, with a 15-minute warning', () => {
  const values = rolloutValues('America/New_York');
  assert.equal(values.inWindow, false);
  assert.deepEqual(values['rollout.maintenanceWindow.daysOfWeek'], ['saturday', 'sunday']);
  assert.equal(values['rollout.maintenanceWindow.timeZone'], 'America/New_York');
  assert.equal(values['rollout.notifyMinutesBefore'], 15);
  assert.equal(rolloutValues(undefined)['rollout.maintenanceWindow.timeZone'], 'UTC');
});

test('the shortest window holds the warning and the drain timeout, and never less than 30 minutes', () => {
  assert.equal(shortestWindow({ 'rollout.notifyMinutesBefore': 15, 'rollout.drainTimeoutMinutes': 60 }), 75);
  assert.equal(shortestWindow({ 'rollout.notifyMinutesBefore': 0, 'rollout.drainTimeoutMinutes': 10 }), 30);
  assert.equal(shortestWindow({ 'rollout.notifyMinutesBefore': Number.NaN, 'rollout.drainTimeoutMinutes': 60 }), 75);
});

test('days and lengths in words', () => {
  assert.equal(daysText(['sunday', 'saturday']), 'Saturday and Sunday');
  assert.equal(daysText(['friday', 'monday', 'tuesday']), 'Monday, Tuesday and Friday');
  assert.equal(daysText(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']), 'Every day');
  assert.equal(daysText([]), 'No day');
  assert.equal(lengthText(240), '4 hours');
  assert.equal(lengthText(90), '1 hour 30 minutes');
  assert.equal(lengthText(45), '45 minutes');
});

test('a window in a sentence: when it opens and closes (past midnight too), its zone, and the warning', () => {
  assert.equal(windowSummary(WINDOW, 15),
    'Saturday from 23:00 for 4 hours (until 03:00 the next day), Europe/Amsterdam time; users are warned 15 minutes before their host is drained.');
  assert.equal(windowSummary({ ...WINDOW, startTime: '01:00', durationMinutes: 30 }, 0),
    'Saturday from 01:00 for 30 minutes (until 01:30), Europe/Amsterdam time; users get no warning before their host is drained.');
  assert.match(windowSummary({ ...WINDOW, startTime: '22:00', durationMinutes: 120 }), /until 00:00 the next day/);
  assert.match(windowSummary(WINDOW), /warned 15 minutes/); // the server's default
  assert.equal(windowSummary(null), 'Hosts are drained as they are reached, with no warning.');
  const form = { ...rolloutValues('UTC'), inWindow: true, 'rollout.notifyMinutesBefore': Number.NaN };
  assert.match(rolloutSummary(form), /^Saturday and Sunday from 22:00 for 4 hours \(until 02:00 the next day\), UTC time; users are warned 15 minutes/);
});

test('a waiting update says when its window opens, in the window\'s time and the reader\'s', () => {
  const waiting = {
    nextWindowDateTime: '2026-11-09T21:00:00Z',
    rollout: { maintenanceWindow: { timeZone: 'Europe/Amsterdam' } },
    statusDetail: { code: 'waitingForWindow', message: 'The next maintenance window opens at ...' },
  };
  const opening = windowOpening(waiting);
  assert.equal(opening.at.toISOString(), '2026-11-09T21:00:00.000Z');
  assert.equal(opening.local, 'Monday 22:00 Europe/Amsterdam');
  assert.equal(waitingText(waiting, (at) => at.toISOString()),
    'The hosts not yet drained wait for the next maintenance window. It opens Monday 22:00 Europe/Amsterdam (2026-11-09T21:00:00.000Z your time).');
  const unknownZone = { ...waiting, rollout: { maintenanceWindow: { timeZone: 'Mars/Olympus' } } };
  assert.equal(waitingText(unknownZone, (at) => at.toISOString()),
    'The hosts not yet drained wait for the next maintenance window. It opens 2026-11-09T21:00:00.000Z your time.');
  assert.equal(windowOpening({ statusDetail: { message: 'something else' } }), null);
  assert.equal(waitingText({ statusDetail: { message: 'something else' } }, String), 'something else');
  assert.match(waitingText(null, String), /next maintenance window/);
});

test('the hosts whose users were warned', () => {
  const hosts = [{ name: 'a', statusDetail: { code: 'usersNotified', message: '1 users told' } }, { name: 'b', statusDetail: null }];
  assert.deepEqual(warnedHosts(hosts).map((host) => host.name), ['a']);
  assert.deepEqual(warnedHosts(undefined), []);
});
