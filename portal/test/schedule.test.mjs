import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  atFields, clock, describeDay, draftOf, fieldNames, flatten, minutesOf, newWeekdaySet, parseLoadCurve, phaseHours,
  sampleDay, scheduleBody, setAt, weekLayout,
} from '../src/lib/schedule.js';

const phase = (start, minimumHostsPercent = 0, capacityThresholdPercent = 100) => ({ start, minimumHostsPercent, capacityThresholdPercent });
const workdays = (starts = ['07:00', '09:00', '17:00', '19:00'], days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday']) => ({
  days, rampUp: phase(starts[0]), peak: phase(starts[1]), rampDown: { ...phase(starts[2]), logOff: { policy: 'waitForSignOut' } }, offPeak: phase(starts[3]),
});
const spans = (day) => day.segments.map((s) => `${s.phase} ${clock(s.from)}-${clock(s.to)}${s.carried ? ` from ${s.carriedFrom}` : ''}`);

test('times are minutes from midnight, and back', () => {
  assert.equal(minutesOf('07:30'), 450);
  assert.equal(minutesOf('00:00'), 0);
  assert.equal(minutesOf('24:00'), null);
  assert.equal(minutesOf('7:30'), null);
  assert.equal(minutesOf(''), null);
  assert.equal(clock(450), '07:30');
  assert.equal(clock(1440), '24:00');
});

test('a working day: the evening before goes on until ramp-up, then the four phases to midnight', () => {
  const { days, problems, builtIn } = weekLayout({ weekdaySets: [workdays()] });
  assert.deepEqual(problems, []);
  assert.equal(builtIn, false);
  assert.deepEqual(spans(days[1]), ['offPeak 00:00-07:00 from monday', 'rampUp 07:00-09:00', 'peak 09:00-17:00', 'rampDown 17:00-19:00', 'offPeak 19:00-24:00']);
  assert.equal(days[1].set, 0);
  // Monday morning is Friday evening's off-peak, carried over the weekend
  assert.deepEqual(spans(days[0])[0], 'offPeak 00:00-07:00 from friday');
});

test('a day in no set goes on in the off-peak of the last day in one, all day', () => {
  const { days } = weekLayout({ weekdaySets: [workdays()] });
  assert.deepEqual(spans(days[5]), ['offPeak 00:00-24:00 from friday']);
  assert.deepEqual(spans(days[6]), ['offPeak 00:00-24:00 from friday']);
  assert.equal(days[6].set, null);
  assert.equal(describeDay(days[6]), 'Off-peak 00:00–24:00 (from Friday)');
});

test('a set that starts at midnight carries nothing into its day; one that ends late runs to midnight', () => {
  const { days } = weekLayout({ weekdaySets: [workdays(['00:00', '06:00', '22:00', '23:59'], ['wednesday'])] });
  assert.deepEqual(spans(days[2]), ['rampUp 00:00-06:00', 'peak 06:00-22:00', 'rampDown 22:00-23:59', 'offPeak 23:59-24:00']);
  // the only day in a set: every other day, and its own morning the week before, carry its off-peak
  assert.deepEqual(spans(days[3]), ['offPeak 00:00-24:00 from wednesday']);
  assert.deepEqual(spans(days[1]), ['offPeak 00:00-24:00 from wednesday']);
});

test('two sets: each day follows its own, and a day between them the one before it', () => {
  const weekend = workdays(['10:00', '11:00', '14:00', '16:00'], ['saturday']);
  const { days } = weekLayout({ weekdaySets: [workdays(), weekend] });
  assert.deepEqual(spans(days[5]), ['offPeak 00:00-10:00 from friday', 'rampUp 10:00-11:00', 'peak 11:00-14:00', 'rampDown 14:00-16:00', 'offPeak 16:00-24:00']);
  assert.deepEqual(spans(days[6]), ['offPeak 00:00-24:00 from saturday']);
  assert.deepEqual(spans(days[0])[0], 'offPeak 00:00-07:00 from saturday');
  assert.equal(days[5].segments[1].set, 1);
});

test('no weekday set: the built-in rule all week', () => {
  const layout = weekLayout({ weekdaySets: [] });
  assert.equal(layout.builtIn, true);
  for (const day of layout.days) assert.deepEqual(day.segments, [{ from: 0, to: 1440, phase: 'offPeak', set: null, carried: false }]);
  assert.match(describeDay(layout.days[0]), /built-in rule/);
  assert.equal(phaseHours(layout).offPeak, 7 * 24);
});

test('an unfinished or out-of-order field is named, and the chart draws what it can', () => {
  const half = workdays(['07:00', '', '17:00', '19:00']);
  assert.deepEqual(spans(weekLayout({ weekdaySets: [half] }).days[1]), ['offPeak 00:00-07:00 from monday', 'rampUp 07:00-17:00', 'rampDown 17:00-19:00', 'offPeak 19:00-24:00']);
  const backwards = weekLayout({ weekdaySets: [workdays(['09:00', '07:00', '17:00', '19:00'])] });
  assert.match(backwards.problems[0].message, /peak must start after ramp-up \(09:00\): a day runs ramp-up, peak/);
  // the server refuses a day in two sets at the later set's day (schedule-phases.test.mjs holds the targets to it)
  const twice = weekLayout({ weekdaySets: [workdays(), workdays(undefined, ['saturday', 'friday'])] });
  assert.deepEqual(twice.problems, [{ target: 'weekdaySets[1].days[0]', code: 'dayInTwoSets', message: 'Friday is already in weekday set 1: a day follows one set.' }]);
  assert.equal(twice.days[4].set, 0);
  assert.equal(twice.days[5].set, 1);
});

test('pre-staging runs before each ramp-up, from the evening before when ramp-up is just after midnight', () => {
  const staged = weekLayout({ weekdaySets: [workdays()], preStaging: { hosts: 2, minutesBefore: 30 } });
  assert.deepEqual(staged.days[0].staging, [{ from: 390, to: 420 }]);
  assert.deepEqual(staged.days[5].staging, []);
  assert.match(describeDay(staged.days[0]), /pre-staging 06:30–07:00$/);
  const early = weekLayout({ weekdaySets: [workdays(['00:20', '09:00', '17:00', '19:00'], ['monday'])], preStaging: { hosts: 1, minutesBefore: 60 } });
  assert.deepEqual(early.days[0].staging, [{ from: 0, to: 20 }]);
  assert.deepEqual(early.days[6].staging, [{ from: 1400, to: 1440 }]); // Sunday evening, the week round
  const off = weekLayout({ weekdaySets: [workdays()], preStaging: { enabled: false, hosts: 2, minutesBefore: 30 } });
  assert.deepEqual(off.days[0].staging, []);
});

test('a new set takes the working days no other set has', () => {
  assert.deepEqual(newWeekdaySet().days, ['monday', 'tuesday', 'wednesday', 'thursday', 'friday']);
  assert.deepEqual(newWeekdaySet([{ days: ['monday', 'tuesday'] }]).days, ['wednesday', 'thursday', 'friday']);
  assert.deepEqual(newWeekdaySet([{ days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] }]).days, ['saturday']);
  assert.equal(newWeekdaySet().rampDown.loadBalancing, 'depthFirst');
  assert.equal(newWeekdaySet().peak.loadBalancing, 'breadthFirst');
});

test('a schedule read becomes a draft and goes back as the same body', () => {
  const saved = {
    timeZone: 'Europe/Amsterdam', isDefault: false, etag: 'W/"1"',
    weekdaySets: [{
      days: ['friday', 'monday'],
      rampUp: { ...phase('07:00', 30, 60), loadBalancing: 'breadthFirst', bufferPercent: 0 },
      peak: { ...phase('09:00', 50, 80), loadBalancing: 'breadthFirst', bufferPercent: 10 },
      rampDown: { ...phase('17:00', 10, 90), loadBalancing: 'depthFirst', bufferPercent: 0, logOff: { policy: 'notifyThenLogOff', delayMinutes: 15, message: 'Bye' } },
      offPeak: { ...phase('19:00'), loadBalancing: 'depthFirst', bufferPercent: 0 },
    }],
    exceptions: [{ date: '2026-12-25', name: 'Christmas', phase: 'offPeak' }, { date: '2026-12-31', name: null, phase: 'rampDown' }],
    preStaging: { hosts: 2, minutesBefore: 30 },
  };
  const draft = draftOf(saved);
  assert.equal(draft.preStaging.enabled, true);
  const body = scheduleBody(draft);
  assert.deepEqual(body.weekdaySets[0].days, ['monday', 'friday']); // in the week's order
  assert.deepEqual(body.weekdaySets[0].rampDown.logOff, { policy: 'notifyThenLogOff', delayMinutes: 15, message: 'Bye' });
  assert.deepEqual(body.exceptions, [{ date: '2026-12-25', phase: 'offPeak', name: 'Christmas' }, { date: '2026-12-31', phase: 'rampDown' }]);
  assert.deepEqual(body.preStaging, { hosts: 2, minutesBefore: 30 });
  assert.equal(body.weekdaySets[0].peak.bufferPercent, 10);
  assert.equal('isDefault' in body, false);
});

test('the body leaves out what the policy does not use, and sends an emptied number as null', () => {
  const draft = draftOf({ timeZone: 'UTC', weekdaySets: [workdays()] });
  assert.equal(draft.weekdaySets[0].rampDown.logOff.delayMinutes, 30); // kept aside for notifyThenLogOff
  assert.equal(draft.preStaging.enabled, false);
  const emptied = setAt(draft, 'weekdaySets.0.peak.capacityThresholdPercent', Number.NaN);
  const body = scheduleBody(emptied);
  assert.deepEqual(body.weekdaySets[0].rampDown.logOff, { policy: 'waitForSignOut' });
  assert.equal(body.weekdaySets[0].peak.capacityThresholdPercent, null);
  assert.equal(body.preStaging, null);
  assert.equal(scheduleBody({ ...draft, timeZone: ' Europe/Paris ' }).timeZone, 'Europe/Paris');
});

test('a draft flattens to the names of its fields, and one field is set without touching the rest', () => {
  const draft = draftOf({ timeZone: 'UTC', weekdaySets: [workdays()], exceptions: [{ date: '2026-12-25' }] });
  const flat = flatten(draft);
  assert.equal(flat['weekdaySets.0.peak.start'], '09:00');
  assert.deepEqual(flat['weekdaySets.0.days'], ['monday', 'tuesday', 'wednesday', 'thursday', 'friday']);
  assert.equal(flat['exceptions.0.phase'], 'offPeak');
  assert.equal(flat['preStaging.minutesBefore'], 30);
  const names = fieldNames(draft);
  for (const name of Object.keys(flat)) assert.ok(names.includes(name), name);
  const changed = setAt(draft, 'weekdaySets.0.peak.start', '10:00');
  assert.equal(changed.weekdaySets[0].peak.start, '10:00');
  assert.equal(draft.weekdaySets[0].peak.start, '09:00');
  assert.equal(changed.weekdaySets[0].rampUp, draft.weekdaySets[0].rampUp);
  assert.ok(Array.isArray(changed.weekdaySets));
});

test("the server's details land on the fields that show them", () => {
  const known = fieldNames(draftOf({ timeZone: 'UTC', weekdaySets: [workdays()] }));
  const error = {
    status: 400, code: 'invalidRequest', message: 'The schedule is not valid.', details: [
      { code: 'unknownTimeZone', message: 'must be an IANA time zone', target: 'timeZone' },
      { code: 'phasesOverlap', message: 'must be after rampUp', target: 'weekdaySets[0].peak.start' },
      { code: 'dayInTwoSets', message: 'friday is already in weekdaySets[0]', target: 'weekdaySets[0].days[4]' },
      { code: 'notInOrder', message: 'must be after the point before it', target: 'loadCurve[2].dateTime' },
      { code: 'tooLong', message: 'at most 7 sets', target: 'weekdaySets' },
      { code: 'greaterThanEqual', message: 'weekdaySets[0].offPeak.capacityThresholdPercent: Input should be greater than or equal to 1', target: 'weekdaySets[0].offPeak.capacityThresholdPercent' },
    ],
  };
  const moved = atFields(error, known, [1, 2, 4]);
  assert.deepEqual(moved.details.map((detail) => detail.target), ['timeZone', 'weekdaySets.0.peak.start', 'weekdaySets.0.days', 'loadCurve', 'weekdaySets',
    'weekdaySets.0.offPeak.capacityThresholdPercent']);
  assert.equal(moved.details[5].message, 'Input should be greater than or equal to 1'); // beside its field it need not name it
  assert.equal(moved.details[3].message, 'Line 4: must be after the point before it');
  assert.equal(moved.details[2].message, 'friday is already in weekdaySets[0]');
  // an error with no details (409 noRecordedSessions) goes to the field it names
  const none = atFields({ status: 409, code: 'noRecordedSessions', message: 'No sessions were recorded', target: 'loadCurve', details: [] }, known);
  assert.deepEqual(none.details, [{ code: 'noRecordedSessions', message: 'No sessions were recorded', target: 'loadCurve' }]);
});

test('a load curve is read one point a line, and what cannot be read is named by its line', () => {
  const text = '# Monday\n2026-11-02T08:00Z 12\n\n2026-11-02 09:00+01:00, 20\n2026-11-02T10:00 5\n2026-11-02T11:00Z lots';
  const { points, lines, errors } = parseLoadCurve(text);
  assert.deepEqual(points, [{ dateTime: '2026-11-02T08:00Z', sessions: 12 }, { dateTime: '2026-11-02T09:00+01:00', sessions: 20 }]);
  assert.deepEqual(lines, [2, 4]);
  assert.equal(errors.length, 2);
  assert.match(errors[0], /^Line 5: .*offset/);
  assert.match(errors[1], /^Line 6: .*whole number/);
  assert.deepEqual(parseLoadCurve('  '), { points: [], lines: [], errors: [] });
});

test('a sample working day is a curve the parser reads, quiet at night', () => {
  const { points, errors } = parseLoadCurve(sampleDay('2026-11-02', 20));
  assert.deepEqual(errors, []);
  assert.equal(points.length, 25);
  assert.equal(points[0].sessions, 0);
  assert.equal(Math.max(...points.map((point) => point.sessions)), 20);
});
