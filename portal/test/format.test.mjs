// Identifiers as the pages say them: statuses and step names in words, with names and initialisms kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { words, duration } from '../src/lib/format.js';

test('a status becomes a sentence-case phrase', () => {
  assert.equal(words('provisionedWithWarnings'), 'Provisioned with warnings');
  assert.equal(words('inGracePeriod'), 'In grace period');
  assert.equal(words(''), '');
  assert.equal(words(undefined), '');
});

test('names and initialisms keep their capitals', () => {
  assert.equal(words('joinEntra'), 'Join Entra');
  assert.equal(words('enrollIntune'), 'Enroll Intune');
  assert.equal(words('createVm'), 'Create VM');
  assert.equal(words('setTeamsVdiMode'), 'Set Teams VDI mode');
  assert.equal(words('resizeOsDisk'), 'Resize OS disk');
  assert.equal(words('vmSize'), 'VM size');
  assert.equal(words('cloudPC'), 'Cloud PC');
});

test('durations read as seconds, minutes and hours', () => {
  assert.equal(duration(4_400), '4 s');
  assert.equal(duration(61_000), '1 min 1 s');
  assert.equal(duration(3_660_000), '1 h 1 min');
  assert.equal(duration(null), '—');
});

test('a server message leaves its API path to scripts, and a subnet reads by its names', async () => {
  const { forReaders, subnetName } = await import('../src/lib/format.js');
  assert.equal(forReaders("Grant it as the report says (GET /api/tenants/{tenantId}/onboarding, the portal's Onboarding page)."),
    "Grant it as the report says (the portal's Onboarding page).");
  assert.equal(subnetName('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/corp/subnets/cloudpcs'), 'corp / cloudpcs');
  assert.equal(subnetName(null), '—');
});

test('a server message shows its times in the reader\'s locale, never as ISO', async () => {
  const { forReaders } = await import('../src/lib/format.js');
  const shown = forReaders('Assigned at 2026-11-26T09:36:46Z, after the grace period.');
  assert.doesNotMatch(shown, /\d{4}-\d{2}-\d{2}T/);
  assert.match(shown, /^Assigned at .*2026.*, after the grace period\.$/);
});
