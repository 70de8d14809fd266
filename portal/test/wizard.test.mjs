import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  back, canGoNext, createWizard, fail, fieldOf, goTo, isLast, missing, next, setValue, setValues, settle, stepOfField,
  stepValues,
} from '../src/lib/wizard.js';

const STEPS = [
  { id: 'general', title: 'General', fields: ['displayName', 'domainJoinConfigurations.0.domainJoinType', 'domainJoinConfigurations.0.regionName'], required: ['displayName'] },
  {
    id: 'credentials',
    title: 'Credentials',
    fields: ['connectionType', 'adDomainName', 'adDomainPassword'],
    required: (values) => (values.connectionType === 'hybridAzureADJoin' ? ['adDomainName', 'adDomainPassword'] : []),
  },
  { id: 'assignments', title: 'Assignments', fields: ['assignments'] },
  { id: 'review', title: 'Review', fields: [] },
];

const invalid = (...details) => ({ status: 400, message: `The request has ${details.length} invalid fields.`, details });

test('a new wizard starts on its first step with the values given', () => {
  const wizard = createWizard(STEPS, { connectionType: 'azureADJoin' });
  assert.equal(wizard.current, 0);
  assert.equal(wizard.values.connectionType, 'azureADJoin');
  assert.deepEqual(wizard.errors, { fields: {}, general: [] });
});

test('next stays on a step while a required field is empty, and says which', () => {
  const wizard = createWizard(STEPS);
  assert.equal(canGoNext(wizard), false);
  const stuck = next(wizard);
  assert.equal(stuck.current, 0);
  assert.deepEqual(stuck.errors.fields, { displayName: 'Required.' });
  const typed = setValue(stuck, 'displayName', 'HQ');
  assert.deepEqual(typed.errors.fields, {}, 'typing clears the message of that field');
  assert.equal(canGoNext(typed), true);
  assert.equal(next(typed).current, 1);
});

test('what a step requires can depend on the values of the wizard', () => {
  let wizard = next(setValue(createWizard(STEPS), 'displayName', 'HQ'));
  wizard = setValue(wizard, 'connectionType', 'hybridAzureADJoin');
  assert.deepEqual(missing(wizard), ['adDomainName', 'adDomainPassword']);
  wizard = setValue(wizard, 'connectionType', 'azureADJoin');
  assert.deepEqual(missing(wizard), []);
});

test('an empty list counts as missing', () => {
  const steps = [{ id: 'a', fields: ['groups'], required: ['groups'] }, { id: 'b', fields: [] }];
  assert.deepEqual(missing(createWizard(steps, { groups: [] })), ['groups']);
  assert.deepEqual(missing(createWizard(steps, { groups: ['g'] })), []);
});

test('back and goTo move among the steps already reached, never past them', () => {
  let wizard = setValue(createWizard(STEPS), 'displayName', 'HQ');
  wizard = next(next(wizard));
  assert.equal(wizard.current, 2);
  wizard = back(wizard);
  assert.equal(wizard.current, 1);
  assert.equal(goTo(wizard, 2).current, 2, 'a step reached before can be gone back to');
  assert.equal(goTo(wizard, 3).current, 1, 'a step never reached is shut');
  assert.equal(back(goTo(wizard, 0)).current, 0);
  assert.equal(isLast(goTo(next(goTo(wizard, 2)), 3)), true);
  assert.equal(next(next(next(wizard))).current, 3, 'next on the last step stays there');
});

test('a field is found by its own name, from inside it, or from around it', () => {
  assert.equal(fieldOf(STEPS, 'displayName'), 'displayName');
  assert.equal(fieldOf(STEPS, 'assignments[2].groupId'), 'assignments');
  assert.equal(fieldOf(STEPS, 'domainJoinConfigurations[0]'), 'domainJoinConfigurations.0.domainJoinType');
  assert.equal(fieldOf(STEPS, 'domainJoinConfigurations[0].regionName'), 'domainJoinConfigurations.0.regionName');
  assert.equal(fieldOf(STEPS, 'siteId'), null);
  assert.equal(fieldOf(STEPS, null), null);
  assert.equal(stepOfField(STEPS, 'adDomainPassword'), 1);
  assert.equal(stepOfField(STEPS, 'assignments[0].groupId'), 2);
  assert.equal(stepOfField(STEPS, 'nowhere'), -1);
});

test('a server error moves the wizard to the first step it names, each message next to its field', () => {
  let wizard = setValues(createWizard(STEPS), { displayName: 'HQ', connectionType: 'hybridAzureADJoin', adDomainName: 'x', adDomainPassword: 'p' });
  wizard = next(next(next(wizard)));
  assert.equal(wizard.current, 3);
  const failed = fail(wizard, invalid(
    { code: 'invalidGroupId', message: 'assignments[0].groupId: must be an Entra group id', target: 'assignments[0].groupId' },
    { code: 'invalidDomainName', message: 'adDomainName: must be a fully qualified domain name', target: 'adDomainName' },
  ));
  assert.equal(failed.current, 1);
  assert.deepEqual(failed.errors.fields, {
    assignments: 'Must be an Entra group id',
    adDomainName: 'Must be a fully qualified domain name',
  });
  assert.deepEqual(failed.errors.general, ['The request has 2 invalid fields.']);
  assert.equal(failed.furthest, 3, 'the steps after it stay reachable');
});

test('an error no field owns stays on the current step, above the form', () => {
  const wizard = next(setValue(createWizard(STEPS), 'displayName', 'HQ'));
  const failed = fail(wizard, { status: 409, message: 'A tenant can have at most 10 connections.', target: 'connections', details: [] });
  assert.equal(failed.current, 1);
  assert.deepEqual(failed.errors, { fields: {}, general: ['A tenant can have at most 10 connections.'] });
});

test('checked before the later steps are filled in, only the steps so far count', () => {
  const wizard = next(setValue(createWizard(STEPS), 'displayName', 'HQ'));
  const error = invalid(
    { code: 'missing', message: 'assignments: field required', target: 'assignments' },
    { code: 'invalidDomainName', message: 'bad domain', target: 'adDomainName' },
  );
  const early = fail(wizard, error, { through: 1 });
  assert.equal(early.current, 1);
  assert.deepEqual(early.errors, { fields: { adDomainName: 'Bad domain' }, general: [] });
  const later = fail(wizard, invalid({ code: 'missing', message: 'field required', target: 'assignments' }), { through: 1 });
  assert.equal(later.current, 1);
  assert.deepEqual(later.errors, { fields: {}, general: [] }, 'nothing about these steps: no error');
});

test('the values of one step, for the review', () => {
  const wizard = setValues(createWizard(STEPS), { displayName: 'HQ', connectionType: 'azureADJoin', adDomainName: '' });
  assert.deepEqual(stepValues(wizard, 0), { displayName: 'HQ' });
  assert.deepEqual(stepValues(wizard, 1), { connectionType: 'azureADJoin' });
});

test('values the page chose while the server checked a step survive the answer that moves the wizard on', () => {
  const asked = setValues(createWizard(STEPS, { displayName: 'HQ', siteId: '' }), {});
  const latest = setValues(asked, { siteId: 'site-1' }); // the sites came in during the check: the first is chosen
  const answered = next(asked);
  const shown = settle(answered, asked, latest);
  assert.equal(shown.current, 1);
  assert.deepEqual(shown.values, { displayName: 'HQ', siteId: 'site-1' });
  assert.equal(settle(answered, asked, asked), answered); // nothing changed meanwhile: the answer as it is
});
