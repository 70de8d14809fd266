// The Cloud PC page's connection panel: the rows it shows of the API's launchInfo on each backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionRows, lastConnected, neverConnected, resourceName, userAway } from '../src/lib/cloud-pcs.js';

const FEED = 'https://rdweb.wvd.microsoft.com/api/arm/feeddiscovery';
const POOL = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DesktopVirtualization/hostPools/cpc-p-westeurope';

test('an azure Cloud PC shows its feed and web client to copy, its AVD resources by name copied as ids, and Start VM on Connect', () => {
  const web = 'https://client.wvd.microsoft.com/arm/webclient/index.html';
  const rows = connectionRows({
    cloudPcId: 'c', feedUrl: FEED, webClientUrl: web,
    hostPoolId: POOL, workspaceId: `${POOL}-ws`, applicationGroupId: `${POOL}-dag`, startsOnConnect: true,
  });
  assert.deepEqual(rows, [
    ['Feed (Windows App, Remote Desktop client)', FEED, FEED],
    ['Web client', web, web],
    ['Host pool', 'cpc-p-westeurope', POOL],
    ['Workspace', 'cpc-p-westeurope-ws', `${POOL}-ws`],
    ['Desktop application group', 'cpc-p-westeurope-dag', `${POOL}-dag`],
    ['Starts when the user connects', 'Yes: Start VM on Connect', null],
  ]);
  assert.equal(resourceName(`${POOL}/`), 'cpc-p-westeurope');
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

test('a user away says since when; a connected or never seen one says nothing', () => {
  assert.match(userAway({ userAwaySince: '2026-11-02T10:45:00Z' }), /^User away since .*2026/);
  assert.equal(userAway({ userAwaySince: null }), null);
  assert.equal(userAway({}), null);
});
