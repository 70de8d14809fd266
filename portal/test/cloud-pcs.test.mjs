// The Cloud PC page's connection panel: the rows it shows of the API's launchInfo on each backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionRows, lastConnected, neverConnected } from '../src/lib/cloud-pcs.js';

const FEED = 'https://rdweb.wvd.microsoft.com/api/arm/feeddiscovery';
const POOL = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DesktopVirtualization/hostPools/cpc-p-westeurope';

test('an azure Cloud PC shows its feed, web client and AVD resources to copy, and whether it starts on connect', () => {
  const rows = connectionRows({
    cloudPcId: 'c', feedUrl: FEED, webClientUrl: 'https://client.wvd.microsoft.com/arm/webclient/index.html',
    hostPoolId: POOL, workspaceId: `${POOL}-ws`, applicationGroupId: `${POOL}-dag`, startsOnConnect: false,
  });
  assert.deepEqual(rows.map(([label]) => label), ['Feed (Windows App, Remote Desktop client)', 'Web client', 'Host pool',
    'Workspace', 'Desktop application group', 'Starts when the user connects']);
  assert.equal(rows.filter(([, , copyable]) => copyable).length, 5);
  assert.deepEqual(rows.at(-1), ['Starts when the user connects', 'No', false]);
});

test('a Windows 365 Cloud PC shows only the addresses: Windows 365 hosts it', () => {
  const rows = connectionRows({
    cloudPcId: 'c', feedUrl: FEED, webClientUrl: 'https://windows365.microsoft.com',
    hostPoolId: null, workspaceId: null, applicationGroupId: null, startsOnConnect: false,
  });
  assert.deepEqual(rows.map(([label, value]) => [label, value]), [
    ['Feed (Windows App, Remote Desktop client)', FEED], ['Web client', 'https://windows365.microsoft.com'],
    ['Starts when the user connects', 'No'],
  ]);
});

test('a provisioned Cloud PC nobody was seen connected to is never connected; one being built is not yet marked', () => {
  assert.equal(neverConnected({ status: 'provisioned' }), true);
  assert.equal(neverConnected({ status: 'provisionedWithWarnings', lastConnectedDateTime: null }), true);
  assert.equal(neverConnected({ status: 'provisioned', lastConnectedDateTime: '2026-11-02T10:15:00Z' }), false);
  assert.equal(neverConnected({ status: 'provisioning' }), false);
  assert.equal(lastConnected({ status: 'provisioned' }), 'Never connected');
  assert.match(lastConnected({ status: 'provisioned', lastConnectedDateTime: '2026-11-02T10:15:00Z' }), /^Last connected .*2026/);
});
