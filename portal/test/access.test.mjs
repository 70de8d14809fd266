import assert from 'node:assert/strict';
import { test } from 'node:test';
import { can, loadAccess, noteTenants, onlyServedBy, roleNeeded } from '../src/access.js';

const TENANT = 't-1';

async function signedInAs(role) {
  const asked = [];
  await loadAccess(async (path) => {
    asked.push(path);
    return { organizationOwner: false, tenants: [{ tenantId: TENANT, role }] };
  });
  return asked;
}

test('the portal starts on `me` alone: the OpenAPI document is never waited for', async () => {
  assert.deepEqual(await signedInAs('reader'), ['me']);
});

test('what a caller may do comes from the built-in vocabulary', async () => {
  assert.equal(roleNeeded('createBulkAction'), 'operator');
  await signedInAs('reader');
  assert.equal(can('listBulkActions', TENANT), true);
  assert.equal(can('createBulkAction', TENANT), false);
  await signedInAs('operator');
  assert.equal(can('createBulkAction', TENANT), true);
});

test("an operation one backend alone serves is offered only on that backend's tenants", async () => {
  await signedInAs('administrator');
  assert.equal(onlyServedBy('createUserSetting'), 'windows365');
  noteTenants([{ id: TENANT, cloudPcBackend: 'azure' }]);
  assert.equal(can('createUserSetting', TENANT), false);
  noteTenants([{ id: TENANT, cloudPcBackend: 'windows365' }]);
  assert.equal(can('createUserSetting', TENANT), true);
});
