import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aTemplateOf, errorsByTenant, fieldRows, fieldText, fieldsOf, templateBody, typedValue, valueText } from '../src/lib/templates.js';

test('a value reads in words, never as JSON', () => {
  assert.equal(valueText(null), 'Not set');
  assert.equal(valueText(false), 'No');
  assert.equal(valueText([{ groupId: 'g1' }, { groupId: 'g2' }]), 'Group ID: g1; Group ID: g2');
  assert.equal(valueText([{ domainJoinType: 'azureADJoin', regionName: 'westeurope' }]), 'Domain join type: Microsoft Entra join, Region name: westeurope');
  assert.equal(valueText([]), 'None');
});

test('the parameters follow the set fields', () => {
  assert.deepEqual(fieldRows({ a: 1 }, ['b']).map((row) => [row.name, row.parameter]), [['a', false], ['b', true]]);
});

test("an apply's refusals go to their tenant's parameter, deeper targets too", () => {
  const errors = { general: ['Bad'], fields: { 'tenants.1.parameters.siteId': 'Not here', 'tenants.0.parameters.assignments.0.groupId': 'No group', 'tenants.1.tenantId': 'Unknown' } };
  assert.deepEqual(errorsByTenant(errors, ['a', 'b']), {
    general: ['Bad'],
    tenants: { a: { fields: { assignments: 'No group' }, general: [] }, b: { fields: { siteId: 'Not here' }, general: ['Unknown'] } },
  });
});

test('a typed parameter takes its type', () => {
  assert.equal(typedValue(' 3 '), 3);
  assert.equal(typedValue('true'), true);
  assert.deepEqual(typedValue('["a"]'), ['a']);
  assert.equal(typedValue('FIN-%RAND:5%'), 'FIN-%RAND:5%');
});

test("a template is made of an object's fields the kind takes, ticked ones as parameters", () => {
  const policy = { id: 'p1', displayName: 'Std', enableSingleSignOn: true, assignments: [{ id: 'a', groupId: 'g1', assignedDateTime: 'x' }], description: null };
  const fields = fieldsOf(policy, ['displayName', 'enableSingleSignOn', 'assignments', 'description']);
  assert.deepEqual(fields, { displayName: 'Std', enableSingleSignOn: true, assignments: [{ groupId: 'g1' }] });
  const rows = Object.entries(fields).map(([name, value]) => ({ name, original: value, text: fieldText(value), parameter: name === 'assignments' }));
  rows[0].text = '123';
  assert.deepEqual(templateBody({ displayName: 'T', description: '', rows }), {
    displayName: 'T', description: null, fields: { displayName: '123', enableSingleSignOn: true }, parameters: ['assignments'],
  });
});

test("a kind's template opens a sentence with its article", () => {
  assert.equal(aTemplateOf('provisioningPolicy'), 'A provisioning policy template');
  assert.equal(aTemplateOf('alertRule'), 'An alert rule template');
  assert.equal(aTemplateOf('spotGroup'), 'A Spot Group template');
});
