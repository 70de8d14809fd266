import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACTION_KINDS, SCALING_ON, evictionsPerDay, hostsByPriority, kindActions, scalingBody, scalingPatch, scalingText, scalingValues,
} from '../src/lib/scaling.js';
import { spotGroupBody, spotGroupPatch } from '../src/lib/spot-pc.js';
import { DECISION_ACTIONS } from '../src/vocabulary.js';

const on = (changes) => ({ ...scalingValues(null), [SCALING_ON]: true, userType: 'pooled', ...changes });

test('a group scales only when asked, and never a personal one', () => {
  assert.equal(scalingBody({ ...scalingValues(null), userType: 'pooled' }), undefined);
  assert.equal(scalingBody(on({ userType: 'personal' })), undefined);
  assert.deepEqual(scalingBody(on({})), { spotEvictionPolicy: 'Deallocate' }); // the server's defaults for the rest
});

test('the fields given go as numbers; an empty ceiling or price is left to its bound', () => {
  const body = scalingBody(on({ 'scaling.baseHosts': 2, 'scaling.maxHosts': Number.NaN, 'scaling.spotSharePercent': 50,
    'scaling.spotMaxPrice': ' 0.05 ', 'scaling.spotEvictionPolicy': 'Delete' }));
  assert.deepEqual(body, { baseHosts: 2, spotSharePercent: 50, spotMaxPrice: 0.05, spotEvictionPolicy: 'Delete' });
  assert.equal(scalingBody(on({ 'scaling.spotMaxPrice': 'cheap' })).spotMaxPrice, 'cheap'); // the server refuses it at its field
  assert.deepEqual(spotGroupBody(on({ name: 'g', 'scaling.baseHosts': 0 })).scaling, { baseHosts: 0, spotEvictionPolicy: 'Deallocate' });
});

test('an edit sends the scaling that changed, a cleared ceiling as null, and nothing when it stays off', () => {
  const scaling = { baseHosts: 1, bufferSessions: 2, maxHosts: 4, deleteAfterMinutes: 30, spotSharePercent: 0, spotEvictionPolicy: 'Deallocate', spotMaxPrice: null };
  const values = scalingValues(scaling);
  assert.equal(values[SCALING_ON], true);
  assert.equal(scalingPatch(scaling, values), undefined);
  assert.deepEqual(scalingPatch(scaling, { ...values, 'scaling.baseHosts': 3, 'scaling.maxHosts': '' }), { baseHosts: 3, maxHosts: null });
  assert.deepEqual(scalingPatch(scaling, { ...values, 'scaling.bufferSessions': '' }), undefined); // emptied: kept
  assert.equal(scalingPatch(null, scalingValues(null)), undefined);
  assert.deepEqual(scalingPatch(null, { ...scalingValues(null), [SCALING_ON]: true, 'scaling.baseHosts': 2 }), { baseHosts: 2, spotEvictionPolicy: 'Deallocate' });
  const group = { userType: 'pooled', scaling, groupIds: [], friendlyName: 'F', licenseCount: 4, profilePath: 'p' };
  const form = { friendlyName: 'F', licenseCount: 4, profilePath: 'p', groupIds: [], ...values, 'scaling.spotSharePercent': 50 };
  assert.deepEqual(spotGroupPatch(group, form), { scaling: { spotSharePercent: 50 } });
  assert.equal('scaling' in spotGroupPatch({ ...group, userType: 'personal', scaling: null }, { ...form, [SCALING_ON]: true }), false);
});

test('scaling in words', () => {
  assert.equal(scalingText(null), 'A fixed set of hosts, enough for every licensed user.');
  assert.equal(scalingText({ baseHosts: 1, bufferSessions: 2, deleteAfterMinutes: 30, spotSharePercent: 50, spotEvictionPolicy: 'Delete', spotMaxPrice: null }, 4),
    '1 always, up to 4; 2 free sessions kept ready; unneeded hosts deleted after 30 min. 50% of the hosts above the base on Spot VMs '
    + '(deleted when evicted, up to the on-demand price).');
});

test('hosts are counted by priority, with those Azure had no Spot capacity for', () => {
  const hosts = [{ priority: 'Regular' }, { priority: 'Spot' }, { priority: 'Spot' }, { priority: 'Regular', spotRefused: true }, {}];
  assert.deepEqual(hostsByPriority(hosts), { Regular: 3, Spot: 2, refused: 1 });
});

test('evictions are counted per UTC day over the last 14 days, oldest first; none is null', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');
  assert.equal(evictionsPerDay([], now), null);
  assert.equal(evictionsPerDay([{ noticeDateTime: '2026-11-01T10:00:00Z' }], now), null); // older than the 14 days
  const days = evictionsPerDay([
    { noticeDateTime: '2026-11-20T09:00:00Z', users: ['ann', 'ben'], usersTold: ['ann', 'ben'], secondsToReplacement: 300 },
    { noticeDateTime: '2026-11-20T01:00:00Z', users: [], usersTold: [], secondsToReplacement: null },
    { noticeDateTime: '2026-11-07T23:59:00Z', users: 1, usersTold: 1, secondsToReplacement: 90 },
  ], now);
  assert.equal(days.length, 14);
  assert.deepEqual([days[0].day, days[13].day], ['2026-11-07', '2026-11-20']);
  assert.deepEqual(days[13], { day: '2026-11-20', evictions: 2, users: 2, usersTold: 2, replaced: 1, slowestSeconds: 300 });
  assert.deepEqual(days[0], { day: '2026-11-07', evictions: 1, users: 1, usersTold: 1, replaced: 1, slowestSeconds: 90 });
  assert.equal(days[5].evictions, 0);
});

test('every action of the timeline is of exactly one kind', () => {
  const all = ACTION_KINDS.flatMap((kind) => kind.actions);
  assert.deepEqual([...all].sort(), [...DECISION_ACTIONS].sort());
  assert.deepEqual(kindActions('health'), ['evict', 'heal', 'repair']);
  assert.deepEqual(kindActions('other'), ['balanceLoad', 'cancelImageUpdate']);
  assert.equal(kindActions(''), null);
});
