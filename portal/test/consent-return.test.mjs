import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consentReturn } from '../src/lib/consent-return.js';

test('an accepted consent names the tenant that went, from the state', () => {
  const search = '?admin_consent=True&tenant=1b2c&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&state=t-1';
  assert.deepEqual(consentReturn(search), { tenantId: 't-1', granted: true, message: "Consent granted by the customer's administrator." });
});

test('a declined consent says so in the admin\'s words, without the AADSTS code', () => {
  const search = '?error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3A+User+declined+to+consent+to+access+the+app.&state=t-1';
  assert.deepEqual(consentReturn(search), {
    tenantId: 't-1', granted: false, message: "The customer's administrator declined: User declined to consent to access the app.",
  });
});

test('another error says consent did not complete', () => {
  assert.equal(consentReturn('?error=invalid_scope&error_description=AADSTS70011%3A+bad&state=t-1').message, 'Admin consent did not complete: bad');
});

test('any other address is no consent return', () => {
  assert.equal(consentReturn(''), null);
  assert.equal(consentReturn('?admin_consent=True'), null); // no state: not the app's own request
  assert.equal(consentReturn('?state=t-1'), null);
});
