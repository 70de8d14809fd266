import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KINDS, OPEN_STATUSES, ORGANIZATION, channelKindsOf, deliveryWords, newChannel, openFirst, ruleBody, ruleErrors, ruleFields, ruleOperation,
  ruleValues, rulesPattern, thresholdUnit,
} from '../src/lib/alerts.js';
import { ALERT_RULE_KINDS, ALERT_STATUSES } from '../src/vocabulary.js';

test('every rule kind the API has says what it watches, and the portal names no other', () => {
  assert.deepEqual(Object.keys(KINDS).sort(), [...ALERT_RULE_KINDS].sort());
  for (const kind of ALERT_RULE_KINDS) assert.match(KINDS[kind].watches, /\.$/);
});

test('a threshold has a unit only for the kinds that take one', () => {
  assert.equal(thresholdUnit('graceEndingSoon'), 'hours');
  assert.equal(thresholdUnit('licensesLow'), 'licenses');
  assert.equal(thresholdUnit('provisioningFailed'), undefined);
});

test('the open statuses are every status but resolved', () => {
  assert.deepEqual(OPEN_STATUSES, ALERT_STATUSES.filter((status) => status !== 'resolved'));
});

test('open alerts come first: active before acknowledged, the most severe first, then the newest', () => {
  const alert = (id, status, severity, raisedDateTime) => ({ id, status, severity, raisedDateTime });
  const sorted = openFirst([
    alert('old-resolved', 'resolved', 'critical', '2026-11-01T00:00:00Z'),
    alert('acknowledged', 'acknowledged', 'critical', '2026-11-03T00:00:00Z'),
    alert('warning', 'active', 'warning', '2026-11-04T00:00:00Z'),
    alert('critical-old', 'active', 'critical', '2026-11-01T00:00:00Z'),
    alert('critical-new', 'active', 'critical', '2026-11-02T00:00:00Z'),
  ]);
  assert.deepEqual(sorted.map((one) => one.id), ['critical-new', 'critical-old', 'warning', 'acknowledged', 'old-resolved']);
});

test('a delivery is told in a sentence, with its attempts and its last error', () => {
  assert.equal(deliveryWords({ status: 'pending', attempts: 0 }), 'Waiting to be sent.');
  const refused = 'alerts@contoso.com has no Exchange Online mailbox: license it for Exchange Online, or name a user that has one.';
  assert.equal(deliveryWords({ status: 'failed', attempts: 1, lastError: refused }),
    `Failed after 1 attempt: ${refused.slice(0, -1)}. The app stopped trying.`);
  assert.equal(deliveryWords({ status: 'failed', attempts: 5, lastError: 'The endpoint answered 500' }),
    'Failed after 5 attempts: The endpoint answered 500. The app stopped trying.');
  assert.match(deliveryWords({ status: 'pending', attempts: 1, lastError: 'Timed out', nextAttemptDateTime: '2026-11-02T10:00:00Z' }),
    /^Not delivered yet after 1 attempt: Timed out\. Next try /);
  assert.match(deliveryWords({ status: 'delivered', attempts: 2, deliveredDateTime: '2026-11-02T10:00:00Z' }), /after 2 attempts\.$/);
});

test('a new rule sends its kind, its threshold only where the kind takes one, and each channel', () => {
  const values = {
    ...ruleValues(), displayName: ' Grace ', kind: 'graceEndingSoon', threshold: 24,
    channels: [
      { ...newChannel('webhook'), url: ' https://hooks.contoso.com/a ', secret: 'sixteen-chars-long' },
      { ...newChannel('teams'), url: 'https://contoso.webhook.office.com/x' },
      { ...newChannel('email'), mailbox: 'alerts@contoso.com', to: 'ops@contoso.com, it@contoso.com;\nboss@contoso.com' },
    ],
  };
  assert.deepEqual(ruleBody(values), {
    displayName: 'Grace', description: '', kind: 'graceEndingSoon', severity: 'warning', threshold: 24, enabled: true,
    channels: [
      { kind: 'webhook', url: 'https://hooks.contoso.com/a', secret: 'sixteen-chars-long' },
      { kind: 'teams', url: 'https://contoso.webhook.office.com/x' },
      { kind: 'email', mailbox: 'alerts@contoso.com', to: ['ops@contoso.com', 'it@contoso.com', 'boss@contoso.com'] },
    ],
  });
  assert.equal(ruleBody({ ...values, kind: 'provisioningFailed' }).threshold, null);
  assert.equal(ruleBody({ ...values, threshold: NaN }).threshold, null); // an empty field: the server says it is needed
});

test('an edited rule keeps its kind and a webhook left without a secret keeps the one it has', () => {
  const rule = {
    displayName: 'Hooks', description: '', kind: 'licensesLow', severity: 'critical', threshold: 5, enabled: false,
    channels: [{ kind: 'webhook', url: 'https://hooks.contoso.com/a', secretSet: true, to: [] }],
  };
  const values = ruleValues(rule);
  assert.equal(values.channels[0].secretSet, true);
  const body = ruleBody(values, { editing: true });
  assert.equal('kind' in body, false);
  assert.deepEqual(body.channels, [{ kind: 'webhook', url: 'https://hooks.contoso.com/a' }]);
  assert.equal(body.threshold, 5);
});

test("the server's refusals land at the form's fields, a recipient's at its channel's recipients", () => {
  const channels = [newChannel('webhook'), newChannel('email')];
  const fields = ruleFields(channels);
  assert.deepEqual(fields.slice(-4), ['channels.0.url', 'channels.0.secret', 'channels.1.mailbox', 'channels.1.to']);
  const error = {
    message: 'The alert rule is not valid.', details: [
      { target: 'channels[0].url', message: 'The URL must be https://, with a host name.' },
      { target: 'body.channels[1].to[1]', message: 'String should have at least 3 characters' },
      { target: 'threshold', message: 'threshold: Input should be greater than or equal to 0' },
      { target: null, message: 'Something else.' },
    ],
  };
  const placed = ruleErrors(error, fields);
  assert.deepEqual(placed.fields, {
    'channels.0.url': 'The URL must be https://, with a host name.',
    'channels.1.to': 'String should have at least 3 characters',
    threshold: 'Input should be greater than or equal to 0',
  });
  assert.deepEqual(placed.general, ['The alert rule is not valid.', 'Something else.']);
});

test("the organization's rules are a tenant's pages and operations, without e-mail", () => {
  assert.equal(ruleOperation('createAlertRule', ORGANIZATION), 'createOrganizationAlertRule');
  assert.equal(ruleOperation('listAlertRules', 't1'), 'listAlertRules');
  assert.equal(rulesPattern(ORGANIZATION, '/:alertRuleId'), '/alertRules/:alertRuleId');
  assert.equal(rulesPattern('t1'), '/tenants/:tenantId/alertRules');
  assert.deepEqual(channelKindsOf(ORGANIZATION), ['webhook', 'teams']);
  assert.deepEqual(channelKindsOf('t1'), ['webhook', 'teams', 'email']);
});
