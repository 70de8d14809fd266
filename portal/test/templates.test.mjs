import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldRows, valueText } from '../src/lib/templates.js';

test('a value reads in words, never as JSON', () => {
  assert.equal(valueText(null), 'Not set');
  assert.equal(valueText(false), 'No');
  assert.equal(valueText([{ groupId: 'g1' }, { groupId: 'g2' }]), 'Group ID: g1; Group ID: g2');
  assert.equal(valueText([{ domainJoinType: 'azureADJoin', regionName: 'westeurope' }]), 'Domain join type: azureADJoin, Region name: westeurope');
  assert.equal(valueText([]), 'None');
});

test('the parameters follow the set fields', () => {
  assert.deepEqual(fieldRows({ a: 1 }, ['b']).map((row) => [row.name, row.parameter]), [['a', false], ['b', true]]);
});
