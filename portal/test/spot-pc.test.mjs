import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GLOBAL, compareVersions, deleteQuestion, followedByAzure, hostCount, hostCountsText, imageMismatch, imageSetBody, licenseHolders,
  newerReadyVersions, notesPatch, readyVersions, rolloutProgress, savedMessage, spotGroupBody, spotGroupPatch, versionBody, versionDeleteBlock,
  versionsUnderWay, vmSizeLabel,
} from '../src/lib/spot-pc.js';
import { policyValues } from '../src/lib/session-policies.js';

const VERSIONS = [
  { version: '0.0.0', status: 'ready', regions: ['westeurope'] },
  { version: '0.0.9', status: 'ready', regions: ['westeurope', 'eastus'] },
  { version: '0.0.10', status: 'ready', regions: ['eastus'] },
  { version: '0.0.11', status: 'failed', regions: ['westeurope'] },
  { version: '0.0.12', status: 'building', regions: ['westeurope'] },
];

test('versions are ordered as numbers, not as text', () => {
  assert.ok(compareVersions('0.0.10', '0.0.9') > 0);
  assert.ok(compareVersions('0.1.0', '0.0.99') > 0);
  assert.equal(compareVersions('1.0.0', '1.0.0'), 0);
});

test('ready versions come newest first, and only those in the region asked for', () => {
  assert.deepEqual(readyVersions(VERSIONS).map((v) => v.version), ['0.0.10', '0.0.9', '0.0.0']);
  assert.deepEqual(readyVersions(VERSIONS, 'westeurope').map((v) => v.version), ['0.0.9', '0.0.0']);
  assert.deepEqual(newerReadyVersions(VERSIONS, '0.0.0').map((v) => v.version), ['0.0.10', '0.0.9']);
  assert.deepEqual(newerReadyVersions(VERSIONS, '0.0.9', 'westeurope'), []);
});

test('the versions page follows work while a version is being built, captured or removed', () => {
  assert.equal(versionsUnderWay(VERSIONS), true);
  assert.equal(versionsUnderWay(VERSIONS.slice(0, 4)), false);
  assert.equal(versionsUnderWay([{ status: 'awaitingCustomization' }]), true);
  assert.equal(versionsUnderWay([{ status: 'deleting' }]), true);
  assert.equal(versionsUnderWay(null), false);
});

test('a version cannot be deleted while it is the latest or under way', () => {
  const set = { latestVersion: '0.0.2' };
  assert.match(versionDeleteBlock({ version: '0.0.2', status: 'ready' }, set), /latest/);
  assert.match(versionDeleteBlock({ version: '0.0.1', status: 'capturing' }, set), /capturing/);
  assert.equal(versionDeleteBlock({ version: '0.0.1', status: 'failed' }, set), null);
});

test('an image set is in one site or global, never both', () => {
  assert.deepEqual(imageSetBody({ displayName: ' Pooled ', siteId: 's1', sourceImageId: 'img', description: '', notes: 'x' }),
    { displayName: 'Pooled', siteId: 's1', sourceImageId: 'img', notes: 'x' });
  assert.deepEqual(imageSetBody({ displayName: 'All', siteId: GLOBAL, sourceImageId: 'img' }),
    { displayName: 'All', global: true, sourceImageId: 'img' });
});

test('a new version drops empty script rows and keeps half-filled ones for the server to name', () => {
  const body = versionBody({
    baseVersion: '', notes: ' apps ',
    customizationScripts: [{ name: 'apps', script: 'winget install 7zip' }, { name: '', script: '' }, { name: '', script: 'echo' }],
  });
  assert.deepEqual(body, {
    notes: 'apps',
    customizationScripts: [{ name: 'apps', script: 'winget install 7zip' }, { name: '', script: 'echo' }],
  });
  assert.deepEqual(versionBody({ baseVersion: '0.0.1' }), { baseVersion: '0.0.1', customizationScripts: [] });
});

test('the Spot Group body leaves out what is empty, and the session limit of a personal group', () => {
  const values = {
    name: 'finance', friendlyName: 'Finance', userType: 'pooled', licenseCount: 10, maxSessionsPerHost: Number.NaN,
    vmSize: '', siteId: 's1', imageSetId: 'i1', imageVersion: '0.0.1', profilePath: '\\\\files\\profiles',
    groupIds: [{ id: 'g1', displayName: 'Finance' }], description: '',
  };
  assert.deepEqual(spotGroupBody(values), {
    name: 'finance', friendlyName: 'Finance', profilePath: '\\\\files\\profiles', userType: 'pooled', siteId: 's1',
    imageSetId: 'i1', imageVersion: '0.0.1', licenseCount: 10, groupIds: ['g1'],
  });
  assert.equal(spotGroupBody({ ...values, maxSessionsPerHost: 4 }).maxSessionsPerHost, 4);
  assert.equal('maxSessionsPerHost' in spotGroupBody({ ...values, userType: 'personal', maxSessionsPerHost: 4 }), false);
  assert.equal('licenseCount' in spotGroupBody({ ...values, licenseCount: Number.NaN }), false);
});

test('host counts follow the rule the server plans with', () => {
  assert.equal(hostCount('pooled', 10, null), 2); // 6 sessions a host by default
  assert.equal(hostCount('pooled', 3, 2), 2);
  assert.equal(hostCount('personal', 3, 2), 3);
  assert.equal(hostCount('pooled', '', 2), 0);
});

test('a pooled group with a single-session image is pointed out', () => {
  const single = { displayName: 'Windows 11 Enterprise', multiSession: false };
  assert.match(imageMismatch('pooled', single), /multi-session/);
  assert.equal(imageMismatch('personal', single), null);
  assert.equal(imageMismatch('pooled', { ...single, multiSession: true }), null);
  assert.equal(imageMismatch('pooled', undefined), null);
});

test('an edit patches only what changed, and says whether Azure has to follow', () => {
  const group = { friendlyName: 'Finance', description: 'old', notes: null, licenseCount: 10, profilePath: '\\\\f\\p', groupIds: ['g1'] };
  const same = { friendlyName: 'Finance', description: 'old', notes: '', licenseCount: 10, profilePath: '\\\\f\\p', groupIds: [{ id: 'g1' }] };
  assert.deepEqual(spotGroupPatch(group, same), {});
  const notes = spotGroupPatch(group, { ...same, description: '', notes: 'why' });
  assert.deepEqual(notes, { description: null, notes: 'why' });
  assert.equal(followedByAzure(notes), false);
  const more = spotGroupPatch(group, { ...same, licenseCount: 12, groupIds: ['g1', 'g2'] });
  assert.deepEqual(more, { licenseCount: 12, groupIds: ['g1', 'g2'] });
  assert.equal(followedByAzure(more), true);
});

test('the wizard\'s session limits and personal power go in the body only when given', () => {
  const values = {
    name: 'desks', friendlyName: 'Desks', userType: 'personal', licenseCount: 2, siteId: 's1', imageSetId: 'i1', imageVersion: '0.0.1',
    profilePath: '\\\\files\\profiles', groupIds: ['g1'], ...policyValues(),
  };
  const plain = spotGroupBody(values);
  assert.equal('sessionLimits' in plain, false);
  assert.equal('personalPower' in plain, false);
  const asked = spotGroupBody({ ...values, 'sessionLimits.idleMinutes': 60, 'personalPower.deallocateWhenDisconnectedMinutes': 30 });
  assert.deepEqual(asked.sessionLimits, { idleMinutes: 60 });
  assert.deepEqual(asked.personalPower, { deallocateWhenDisconnectedMinutes: 30 });
  const pooled = spotGroupBody({ ...values, userType: 'pooled', 'personalPower.deallocateOnSignOut': true });
  assert.equal('personalPower' in pooled, false);
});

test('an edit of the limits and power patches them beside the other fields, and says what Azure does', () => {
  const group = {
    friendlyName: 'Desks', licenseCount: 2, profilePath: '\\\\f\\p', groupIds: ['g1'], userType: 'personal',
    sessionLimits: null, personalPower: null,
  };
  const values = { ...group, groupIds: ['g1'], ...policyValues(group) };
  assert.deepEqual(spotGroupPatch(group, values), {});
  const patch = spotGroupPatch(group, {
    ...values, notes: 'night shift', 'sessionLimits.idleMinutes': 60, 'personalPower.deallocateOnSignOut': true,
  });
  assert.deepEqual(patch, { notes: 'night shift', sessionLimits: { idleMinutes: 60 }, personalPower: { deallocateOnSignOut: true } });
  assert.equal(followedByAzure(patch), true);
  const said = savedMessage(group, patch, true);
  assert.match(said, /^Saved\. Azure follows the change: the group shows Updating/);
  assert.match(said, /session time limits are applied again to every session host/);
  assert.match(said, /Start VM on Connect is turned on/);
  const hibernate = { personalPower: { hibernate: true } };
  assert.equal(savedMessage({ ...group, personalPower: { deallocateOnSignOut: true, hibernate: false } }, hibernate, false),
    'Saved. The power rules are checked every 5 minutes from now on.');
  assert.equal(savedMessage(group, { personalPower: null }, true).includes('no longer stopped'), true);
  assert.equal(savedMessage(group, { notes: 'x' }, false), 'Saved.');
});

test('rollout progress counts replaced hosts of all it touches', () => {
  assert.deepEqual(rolloutProgress({ replaced: 1, remaining: 3 }), { replaced: 1, total: 4, percent: 25 });
  assert.deepEqual(rolloutProgress({ replaced: 0, remaining: 0 }), { replaced: 0, total: 0, percent: 0 });
});

test('the delete question names the hosts, the drain time and the host pool', () => {
  const group = { friendlyName: 'Finance', hostPoolName: 'spotpc-finance', sessionHostCounts: { total: 3 } };
  const question = deleteQuestion(group, null, 60);
  assert.match(question, /Its 3 session hosts will be drained/);
  assert.match(question, /60 minutes to sign out/);
  assert.match(question, /spotpc-finance/);
  assert.match(deleteQuestion(group, 1, 0), /Its 1 session host will be drained, their users given no time/);
});

test('host counts read as one line', () => {
  assert.equal(hostCountsText({ total: 3, running: 2, stopped: 1, draining: 0, failed: 0 }), '2 running · 1 stopped · 3 in all');
  assert.equal(hostCountsText({ total: 0 }), '0 in all');
});

test('while a run is at work, only the description and notes are patched: what changed, cleared ones null', () => {
  const group = { friendlyName: 'Sales', description: 'desks', notes: null, licenseCount: 4 };
  assert.deepEqual(notesPatch(group, { description: 'desks', notes: '' }), {});
  assert.deepEqual(notesPatch(group, { description: '  ', notes: ' waiting for Saturday ' }), { description: null, notes: 'waiting for Saturday' });
  assert.deepEqual(notesPatch(group, { description: 'desks', friendlyName: 'Other', licenseCount: 9 }), {});
});

test('a VM size reads with its vCPUs and memory', () => {
  assert.equal(vmSizeLabel({ name: 'Standard_D4s_v5', vcpus: 4, memoryGb: 16 }), 'Standard_D4s_v5 · 4 vCPUs, 16 GiB');
  assert.equal(vmSizeLabel({ name: 'Standard_B1ms', vcpus: 1, memoryGb: 2 }), 'Standard_B1ms · 1 vCPU, 2 GiB');
});

test('a set is kept in its site, the region by its display name once the regions are read', async () => {
  const { placeLabel } = await import('../src/lib/spot-pc.js');
  const sites = [{ id: 's1', displayName: 'HQ', regionName: 'westeurope' }];
  assert.equal(placeLabel({ siteId: 's1' }, sites, [{ name: 'westeurope', displayName: 'West Europe' }]), 'HQ (West Europe)');
  assert.equal(placeLabel({ siteId: 's1' }, sites), 'HQ (westeurope)');
  assert.equal(placeLabel({ siteId: 'gone' }, sites), 'A site that is no longer listed');
});

test('the holders of a group\'s licenses are counted, and the members shown are the first in order', () => {
  const members = ['ann', 'ben', 'cid', 'dan'].map((id, at) => ({ id, access: at < 3 ? 'granted' : 'waiting' }));
  assert.deepEqual(licenseHolders(members, 3, 2), { summary: '3 of 3 licenses held; 1 waiting', rows: members.slice(0, 2), more: 2 });
  assert.equal(licenseHolders(members.slice(0, 1), 1).summary, '1 of 1 license held; nobody waiting');
  assert.equal(licenseHolders(members, 5).more, 0);
  const hundreds = Array.from({ length: 120 }, (_, at) => ({ id: `u${at}`, access: 'waiting' })); // no desktop yet
  const shown = licenseHolders(hundreds, 100);
  assert.deepEqual([shown.summary, shown.rows.length, shown.rows[49].id, shown.more], ['0 of 100 licenses held; 120 waiting', 50, 'u49', 70]);
});
