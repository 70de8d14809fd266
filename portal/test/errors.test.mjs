import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorsByField, normalise } from '../src/lib/errors.js';

test('each detail goes to the field its target names', () => {
  const error = {
    message: 'The request has 2 invalid fields.',
    target: null,
    details: [
      { code: 'required', message: 'Give a display name.', target: 'displayName' },
      { code: 'invalid', message: 'Not a region.', target: 'domainJoinConfigurations[0].regionName' },
    ],
  };
  const found = errorsByField(error, ['displayName', 'domainJoinConfigurations.0.regionName']);
  assert.deepEqual(found.fields, {
    displayName: 'Give a display name.',
    'domainJoinConfigurations.0.regionName': 'Not a region.',
  });
  assert.deepEqual(found.general, ['The request has 2 invalid fields.']);
});

test('an error about a field the form does not have is shown above the form', () => {
  const error = { message: 'Site s was not found.', target: 'siteId', details: [] };
  assert.deepEqual(errorsByField(error, ['displayName']), { fields: {}, general: ['Site s was not found.'] });
  assert.deepEqual(errorsByField(error, ['siteId']).fields, { siteId: 'Site s was not found.' });
});

test('two messages for one field are both kept', () => {
  const error = { message: 'Bad', details: [{ message: 'Too long.', target: 'name' }, { message: 'Has spaces.', target: 'name' }] };
  assert.equal(errorsByField(error).fields.name, 'Too long. Has spaces.');
});

test('targets in JSON-pointer and bracket forms read alike', () => {
  assert.equal(normalise('body.assignments[2].groupId'), 'assignments.2.groupId');
  assert.equal(normalise('/rollout/canaryCount'), 'rollout.canaryCount');
  assert.equal(normalise(null), null);
});

test('next to its field a message does not repeat the field name, nor above the form', () => {
  const error = { message: 'subscriptionId: must be a GUID.', target: 'subscriptionId', details: [{ message: 'subscriptionId: must be a GUID.', target: 'subscriptionId' }] };
  assert.deepEqual(errorsByField(error, ['subscriptionId']), { fields: { subscriptionId: 'Must be a GUID.' }, general: [] });
});
