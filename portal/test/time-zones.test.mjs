import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownZones, zoneMatches, zoneWords } from '../src/lib/time-zones.js';

const ZONES = ['Africa/Abidjan', 'America/New_York', 'America/Toronto', 'Australia/Sydney', 'Europe/Amsterdam',
  'Europe/Berlin', 'Pacific/Auckland', 'UTC'];

test("with nothing typed every zone is offered, the browser's own first", () => {
  assert.deepEqual(zoneMatches(ZONES, '', 'Europe/Berlin'), ['Europe/Berlin', ...ZONES.filter((zone) => zone !== 'Europe/Berlin')]);
});

test('typed text finds zones in any case, spaces for underscores, cities that start with it first', () => {
  assert.deepEqual(zoneMatches(ZONES, 'new york', 'Europe/Berlin'), ['America/New_York']);
  assert.deepEqual(zoneMatches(ZONES, 'AM', 'UTC'), ['Europe/Amsterdam', 'America/New_York', 'America/Toronto']);
  assert.deepEqual(zoneMatches(ZONES, 'europe', 'Europe/Berlin'), ['Europe/Berlin', 'Europe/Amsterdam']);
  assert.deepEqual(zoneMatches(ZONES, 'Mars', 'UTC'), []);
});

test('a zone named exactly (as after a pick) offers every zone again, so another is one arrow away', () => {
  assert.equal(zoneMatches(ZONES, 'Europe/Amsterdam', 'UTC').length, ZONES.length);
  assert.equal(zoneMatches(ZONES, 'Europe/Amsterdam', 'UTC')[0], 'UTC');
});

test('the list is kept short', () => {
  assert.equal(zoneMatches(ZONES, '', 'UTC', 3).length, 3);
});

test('the zones are the browser\'s, with UTC among them', () => {
  assert.deepEqual(knownZones({ supportedValuesOf: () => ['Europe/Berlin'] }), ['UTC', 'Europe/Berlin']);
  assert.deepEqual(knownZones({}), ['UTC']);
  assert.equal(zoneWords('America/Port_of_Spain'), 'America/Port of Spain');
});
