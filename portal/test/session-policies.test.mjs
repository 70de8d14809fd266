import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  personalPowerText, policyBody, policyPatch, policyValues, powerRulesText, sessionLimitsText, stopsHosts,
} from '../src/lib/session-policies.js';
import { policyBody as provisioningPolicyBody, policyPatch as provisioningPolicyPatch, policyValues as provisioningPolicyValues } from '../src/lib/configuration.js';

const LIMITS = { idleMinutes: 60, disconnectedMinutes: 120, activeMinutes: null };
const POWER = { deallocateWhenDisconnectedMinutes: 30, deallocateOnSignOut: true, hibernate: false };
const personal = { userType: 'personal', sessionLimits: LIMITS, personalPower: POWER };

test('a group\'s settings fill the form: a limit not set is an empty field, power off is unticked', () => {
  assert.deepEqual(policyValues(personal), {
    'sessionLimits.idleMinutes': 60, 'sessionLimits.disconnectedMinutes': 120, 'sessionLimits.activeMinutes': '',
    'personalPower.deallocateWhenDisconnectedMinutes': 30, 'personalPower.deallocateOnSignOut': true, 'personalPower.hibernate': false,
  });
  assert.deepEqual(policyValues(), {
    'sessionLimits.idleMinutes': '', 'sessionLimits.disconnectedMinutes': '', 'sessionLimits.activeMinutes': '',
    'personalPower.deallocateWhenDisconnectedMinutes': '', 'personalPower.deallocateOnSignOut': false, 'personalPower.hibernate': false,
  });
});

test('an unchanged form patches nothing', () => {
  assert.deepEqual(policyPatch(personal, policyValues(personal)), {});
  assert.deepEqual(policyPatch({ userType: 'pooled', sessionLimits: null, personalPower: null }, policyValues()), {});
});

test('only the limits that changed go in the patch; an emptied field (NaN from a number input) clears its limit', () => {
  const values = { ...policyValues(personal), 'sessionLimits.idleMinutes': Number.NaN, 'sessionLimits.activeMinutes': 480 };
  assert.deepEqual(policyPatch(personal, values), { sessionLimits: { idleMinutes: null, activeMinutes: 480 } });
  const one = { ...policyValues({ userType: 'pooled' }), 'sessionLimits.disconnectedMinutes': 15 };
  assert.deepEqual(policyPatch({ userType: 'pooled', sessionLimits: null }, one), { sessionLimits: { disconnectedMinutes: 15 } });
});

test('clearing every limit, or every power rule, clears the setting with null', () => {
  const cleared = { ...policyValues(personal), 'sessionLimits.idleMinutes': '', 'sessionLimits.disconnectedMinutes': Number.NaN };
  assert.deepEqual(policyPatch(personal, cleared), { sessionLimits: null });
  const off = {
    ...policyValues(personal), 'personalPower.deallocateWhenDisconnectedMinutes': Number.NaN, 'personalPower.deallocateOnSignOut': false,
  };
  assert.deepEqual(policyPatch(personal, off), { personalPower: null });
});

test('power rules change field by field, and a pooled group never sends any', () => {
  const values = { ...policyValues(personal), 'personalPower.hibernate': true };
  assert.deepEqual(policyPatch(personal, values), { personalPower: { hibernate: true } });
  const first = { ...policyValues(), 'personalPower.deallocateOnSignOut': true };
  assert.deepEqual(policyPatch({ userType: 'personal', personalPower: null }, first), { personalPower: { deallocateOnSignOut: true } });
  assert.deepEqual(policyPatch({ userType: 'pooled', personalPower: null }, first), {});
});

test('a create body carries only the limits given, and power only for a personal group asking for any', () => {
  const values = { ...policyValues(), userType: 'personal', 'sessionLimits.idleMinutes': 60, 'personalPower.hibernate': true };
  assert.deepEqual(policyBody(values), { sessionLimits: { idleMinutes: 60 }, personalPower: { hibernate: true } });
  assert.deepEqual(policyBody({ ...values, userType: 'pooled' }), { sessionLimits: { idleMinutes: 60 } });
  assert.deepEqual(policyBody({ ...policyValues(), userType: 'personal' }), {});
  // a value the server refuses is sent as typed, so its message comes back at the field
  assert.deepEqual(policyBody({ ...policyValues(), 'sessionLimits.activeMinutes': 0 }), { sessionLimits: { activeMinutes: 0 } });
});

test('the limits read as one line', () => {
  assert.equal(sessionLimitsText(LIMITS), 'Idle 60 min · disconnected 120 min · active: no limit');
  assert.equal(sessionLimitsText({ idleMinutes: null, disconnectedMinutes: null, activeMinutes: 480 }),
    'Idle: no limit · disconnected: no limit · active 480 min');
  assert.equal(sessionLimitsText(null), 'None');
  assert.equal(sessionLimitsText({ idleMinutes: null, disconnectedMinutes: null, activeMinutes: null }), 'None');
});

test('the power rules read as a sentence', () => {
  assert.equal(personalPowerText(POWER),
    'A host is deallocated once its user has been disconnected for 30 min or has signed out; Azure starts it again when they connect.');
  assert.match(personalPowerText({ ...POWER, deallocateWhenDisconnectedMinutes: null, hibernate: true }),
    /^A host is hibernated \(deallocated where its VM size or image cannot hibernate\) once its user has signed out;/);
  assert.equal(personalPowerText(null), 'Hosts keep running while their users are away.');
  assert.match(personalPowerText({ deallocateWhenDisconnectedMinutes: null, deallocateOnSignOut: false, hibernate: true }), /no rule stops a host/);
  assert.equal(stopsHosts(POWER), true);
  assert.equal(stopsHosts({ hibernate: true }), false);
});

const POLICY = {
  displayName: 'Finance', domainJoinConfigurations: [{ domainJoinType: 'azureADJoin', regionName: 'westeurope' }],
  imageType: 'gallery', imageId: 'img', cloudPcNamingTemplate: 'CPC-%RAND:5%', localAdminEnabled: false, enableSingleSignOn: false,
  windowsSetting: { locale: 'en-US' }, powerRules: null,
};

test('a provisioning policy carries power rules only when asked for any', () => {
  const values = provisioningPolicyValues(POLICY);
  assert.equal(values['powerRules.deallocateWhenDisconnectedMinutes'], '');
  assert.equal('powerRules' in provisioningPolicyBody(values), false); // so a windows365 tenant, which hides them, never sends them
  const asked = { ...values, 'powerRules.deallocateWhenDisconnectedMinutes': 30, 'powerRules.hibernate': true };
  assert.deepEqual(provisioningPolicyBody(asked).powerRules, { deallocateWhenDisconnectedMinutes: 30, hibernate: true });
});

test('a policy\'s power rules change whole, as the server replaces them, and clear with null', () => {
  const ruled = { ...POLICY, powerRules: { deallocateWhenDisconnectedMinutes: 30, deallocateOnSignOut: false, hibernate: false } };
  const values = provisioningPolicyValues(ruled);
  assert.deepEqual(provisioningPolicyPatch(ruled, values), {});
  assert.deepEqual(provisioningPolicyPatch(ruled, { ...values, 'powerRules.deallocateOnSignOut': true }),
    { powerRules: { deallocateWhenDisconnectedMinutes: 30, deallocateOnSignOut: true, hibernate: false } });
  assert.deepEqual(provisioningPolicyPatch(ruled, { ...values, 'powerRules.deallocateWhenDisconnectedMinutes': Number.NaN }), { powerRules: null });
  assert.deepEqual(provisioningPolicyPatch(POLICY, provisioningPolicyValues(POLICY)), {});
});

test('a policy\'s power rules read in a line', () => {
  assert.equal(powerRulesText({ deallocateWhenDisconnectedMinutes: 30, deallocateOnSignOut: true, hibernate: false }),
    'Deallocated after 30 minutes disconnected; on sign-out');
  assert.equal(powerRulesText({ deallocateWhenDisconnectedMinutes: null, deallocateOnSignOut: true, hibernate: true }),
    'Hibernated where the size allows, else deallocated, on sign-out');
  assert.equal(powerRulesText(null), 'Never: Cloud PCs keep running while their users are away');
});
