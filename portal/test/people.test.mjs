import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignmentBody, invitationBody, principalLabel } from '../src/lib/people.js';

const ada = { id: 'a1', kind: 'user', displayName: 'Ada Lovelace', userPrincipalName: 'ada@msp.example', mail: null };
const robot = { id: 'b2', kind: 'servicePrincipal', displayName: 'Deploy robot' };

test('a user is given the role by sign-in name, an app by its object id and name', () => {
  assert.deepEqual(assignmentBody(ada, 'operator'), { userPrincipalName: 'ada@msp.example', role: 'operator' });
  assert.deepEqual(assignmentBody(robot, 'reader'), { principalId: 'b2', principalName: 'Deploy robot', role: 'reader' });
});

test('a principal is named with its e-mail or sign-in name', () => {
  assert.equal(principalLabel(ada), 'Ada Lovelace (ada@msp.example)');
  assert.equal(principalLabel({ ...ada, mail: 'dana@fabrikam.example' }), 'Ada Lovelace (dana@fabrikam.example)');
  assert.equal(principalLabel(robot), 'Deploy robot');
  assert.equal(principalLabel({ principalName: 'Rita', principalId: 'x' }), 'Rita');
});

test('an invitation leaves out a blank name and trims the address', () => {
  const form = { email: ' dana@fabrikam.example ', displayName: ' ', role: 'reader', sendInvitationMessage: false };
  assert.deepEqual(invitationBody(form), { email: 'dana@fabrikam.example', role: 'reader', sendInvitationMessage: false });
  assert.equal(invitationBody({ ...form, displayName: 'Dana' }).displayName, 'Dana');
});
