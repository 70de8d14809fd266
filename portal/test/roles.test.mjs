import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roleAllows } from '../src/lib/roles.js';

test('each role includes the ones below it', () => {
  assert.equal(roleAllows('operator', 'administrator'), true);
  assert.equal(roleAllows('operator', 'operator'), true);
  assert.equal(roleAllows('operator', 'reader'), false);
  assert.equal(roleAllows('owner', 'administrator'), false);
});

test('no role on the tenant allows nothing that needs one', () => {
  assert.equal(roleAllows('reader', null), false);
  assert.equal(roleAllows('signedIn', null), true);
});

test('only organization owners may do what needs one; an unknown operation is never shown', () => {
  assert.equal(roleAllows('organizationOwner', 'owner', false), false);
  assert.equal(roleAllows('organizationOwner', null, true), true);
  assert.equal(roleAllows(undefined, 'owner', true), false);
});
