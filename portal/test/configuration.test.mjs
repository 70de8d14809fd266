import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  connectionBody, credentialPatch, networkOf, regionOption, policyBody, policyPatch, policyValues, shortResourceId, usesConnection,
} from '../src/lib/configuration.js';
import { describePlan, outcomeOf, planHeadline } from '../src/lib/assignment-plan.js';

const HYBRID_VALUES = {
  displayName: ' HQ ', siteId: 's1', subnetId: '', connectionType: 'hybridAzureADJoin', adDomainName: 'corp.contoso.com',
  adDomainUsername: 'join@corp.contoso.com', adDomainPassword: ' secret ', organizationalUnit: '',
};

test('a hybrid connection sends its domain and the password as typed; empty optional fields are left out', () => {
  assert.deepEqual(connectionBody(HYBRID_VALUES), {
    displayName: 'HQ', siteId: 's1', connectionType: 'hybridAzureADJoin', adDomainName: 'corp.contoso.com',
    adDomainUsername: 'join@corp.contoso.com', adDomainPassword: ' secret ',
  });
});

test('an Entra join connection sends no domain field, even one typed before the type changed', () => {
  assert.deepEqual(connectionBody({ ...HYBRID_VALUES, connectionType: 'azureADJoin', subnetId: '/subnets/x' }), {
    displayName: 'HQ', siteId: 's1', connectionType: 'azureADJoin', subnetId: '/subnets/x',
  });
});

test('a credential change sends what changed; an empty password keeps the stored one; an emptied OU clears it', () => {
  const connection = { adDomainName: 'corp.contoso.com', adDomainUsername: 'join@corp.contoso.com', organizationalUnit: 'OU=A,DC=corp' };
  assert.deepEqual(credentialPatch(connection, { ...connection, adDomainPassword: '' }), {});
  assert.deepEqual(credentialPatch(connection, { ...connection, adDomainPassword: 'N3w' }), { adDomainPassword: 'N3w' });
  assert.deepEqual(credentialPatch(connection, { ...connection, organizationalUnit: ' ' }), { organizationalUnit: null });
  assert.deepEqual(credentialPatch(connection, { ...connection, adDomainUsername: 'other@corp.contoso.com' }), { adDomainUsername: 'other@corp.contoso.com' });
});

const POLICY_VALUES = {
  displayName: 'Finance', description: '', 'domainJoinConfigurations.0.domainJoinType': 'azureADJoin', network: 'microsoftHosted',
  'domainJoinConfigurations.0.regionName': 'westeurope', 'domainJoinConfigurations.0.onPremisesConnectionId': 'c1',
  imageType: 'gallery', imageId: 'img', cloudPcNamingTemplate: '', localAdminEnabled: false, enableSingleSignOn: true,
};

test('a Microsoft-hosted network policy names its region and no connection', () => {
  assert.equal(usesConnection(POLICY_VALUES), false);
  assert.deepEqual(policyBody(POLICY_VALUES), {
    displayName: 'Finance', imageType: 'gallery', imageId: 'img',
    domainJoinConfigurations: [{ domainJoinType: 'azureADJoin', regionName: 'westeurope' }],
    localAdminEnabled: false, enableSingleSignOn: true,
  });
});

test('a hybrid join policy names its connection and no region', () => {
  const values = { ...POLICY_VALUES, 'domainJoinConfigurations.0.domainJoinType': 'hybridAzureADJoin', network: 'microsoftHosted' };
  assert.equal(usesConnection(values), true);
  assert.deepEqual(policyBody(values).domainJoinConfigurations, [{ domainJoinType: 'hybridAzureADJoin', onPremisesConnectionId: 'c1' }]);
});

test('editing a policy sends only what changed, and an emptied description clears it', () => {
  const policy = {
    displayName: 'Finance', description: 'Desks', domainJoinConfigurations: [{ domainJoinType: 'azureADJoin', regionName: 'westeurope', onPremisesConnectionId: null }],
    imageType: 'gallery', imageId: 'img', cloudPcNamingTemplate: 'CPC-%USERNAME:5%-%RAND:5%', localAdminEnabled: false, enableSingleSignOn: false,
  };
  const values = policyValues(policy);
  assert.equal(values.network, 'microsoftHosted');
  assert.deepEqual(policyPatch(policy, values), {});
  assert.deepEqual(policyPatch(policy, { ...values, displayName: 'Finance EU', description: '' }), { displayName: 'Finance EU', description: null });
  assert.deepEqual(policyPatch(policy, { ...values, 'domainJoinConfigurations.0.regionName': 'northeurope' }).domainJoinConfigurations, [{ domainJoinType: 'azureADJoin', regionName: 'northeurope' }]);
});

test('a policy without a language reads as en-US, and only another language is sent as a change', () => {
  const policy = {
    displayName: 'Finance', domainJoinConfigurations: [{ domainJoinType: 'azureADJoin', regionName: 'westeurope' }], imageType: 'gallery', imageId: 'img',
    localAdminEnabled: false, enableSingleSignOn: false, windowsSetting: null,
  };
  const values = policyValues(policy);
  assert.equal(values['windowsSetting.locale'], 'en-US');
  assert.deepEqual(policyPatch(policy, values), {});
  assert.deepEqual(policyPatch(policy, { ...values, 'windowsSetting.locale': 'de-DE' }), { windowsSetting: { locale: 'de-DE' } });
  assert.deepEqual(policyBody({ ...POLICY_VALUES, 'windowsSetting.locale': 'fr-CA' }).windowsSetting, { locale: 'fr-CA' });
});

test('a policy network and an ARM id read shortly in a list', () => {
  assert.equal(networkOf({ domainJoinConfigurations: [{ regionName: 'westeurope' }] }), 'Microsoft-hosted network, westeurope');
  assert.equal(networkOf({ domainJoinConfigurations: [{ onPremisesConnectionId: 'c1' }] }, { c1: { displayName: 'HQ' } }), 'Connection HQ');
  assert.equal(shortResourceId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/a'), 'vnet/subnets/a');
  assert.equal(shortResourceId(null), '—');
});

const PLAN = {
  summary: { provision: 2, cloudPcs: 3, noLicense: 1, lose: 1, servedByEarlierPolicy: 1, membersNotFound: 2 },
  users: [
    { userId: 'u3', userPrincipalName: 'cid@x', action: 'noLicense', cloudPcCount: 0, reason: 'The user has no Windows 365 license.' },
    { userId: 'u1', userPrincipalName: 'bob@x', action: 'provision', cloudPcCount: 2, reason: '2 license(s): one Cloud PC each.' },
    { userId: 'u2', userPrincipalName: 'ann@x', action: 'provision', cloudPcCount: 1, reason: '1 license(s): one Cloud PC each.' },
    { userId: 'u4', userPrincipalName: 'dan@x', action: 'lose', cloudPcCount: 1, reason: 'No longer targeted by this policy.' },
    { userId: 'u5', userPrincipalName: 'eve@x', action: 'servedByEarlierPolicy', cloudPcCount: 0, winningPolicyName: 'Sales', reason: "Policy 'Sales' was assigned first." },
  ],
};

test('each user of the plan gains, keeps, loses, is served elsewhere or has no license', () => {
  assert.equal(outcomeOf(PLAN.users[1]), 'gain');
  assert.equal(outcomeOf(PLAN.users[1], new Set(['u1'])), 'keep');
  assert.equal(outcomeOf({ action: 'lose', cloudPcCount: 0 }), 'none', 'without a license there is no Cloud PC to lose');
  const described = describePlan(PLAN, new Set(['u1']));
  assert.deepEqual(described.rows.map((row) => [row.userPrincipalName, row.outcome]), [
    ['ann@x', 'gain'], ['bob@x', 'keep'], ['dan@x', 'lose'], ['eve@x', 'other'], ['cid@x', 'none'],
  ]);
  assert.deepEqual(described.counts, { gain: 1, keep: 1, lose: 1, other: 1, none: 1 });
  assert.equal(described.newCloudPcs, 1);
  assert.equal(described.membersNotFound, 2);
  assert.equal(described.rows[0].label, 'Gets a Cloud PC');
});

test('the plan in one sentence', () => {
  assert.equal(planHeadline(describePlan(PLAN)),
    '2 users get 3 new Cloud PCs; 1 user loses their Cloud PCs after the grace period; 1 user is served by another policy; 1 user has no Windows 365 license.');
  assert.equal(planHeadline(describePlan({ users: [] })), 'Nobody gains or loses a Cloud PC.');
});

test('a region is picked by its display name, under its geography', () => {
  assert.deepEqual(regionOption({ name: 'westeurope', displayName: 'West Europe', geography: 'Europe' }),
    { value: 'westeurope', label: 'West Europe', group: 'Europe' });
});
