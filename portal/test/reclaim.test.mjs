// The reclaim rule in words, and the form's values to and from the API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorsByField } from '../src/lib/errors.js';
import { RULE_FIELDS, atRuleFields, draftOf, previewSentence, ruleBody, ruleSentence } from '../src/lib/reclaim.js';
import { RECLAIM_RANGES } from '../src/vocabulary.js';

const RULE = { enabled: true, unusedDays: 30, noticeDays: 7, emailUser: false, mailbox: '' };

test('a tenant without a rule starts from the API defaults, off', () => {
  assert.deepEqual(draftOf(null), {
    enabled: false, unusedDays: RECLAIM_RANGES.unusedDays.default, noticeDays: RECLAIM_RANGES.noticeDays.default,
    emailUser: false, mailbox: '',
  });
  assert.deepEqual(draftOf({ ...RULE, mailbox: null }), RULE);
});

test('the sentence says when a Cloud PC is announced, when it enters grace, and that group licenses are left alone', () => {
  const said = ruleSentence(RULE);
  assert.match(said, /^A Cloud PC nobody has connected to for 30 days is announced to the tenant's admins \(its user is not e-mailed\); 7 days later/);
  assert.match(said, /enters its grace period and its user's license is freed for the next user in line/);
  assert.match(said, /A connection before then keeps it\./);
  assert.match(said, /Cloud PCs whose license a group assigns are left alone/);
  assert.match(ruleSentence({ ...RULE, unusedDays: 1, noticeDays: 1 }), /for 1 day is announced.*; 1 day later/);
});

test('the sentence names the mailbox the user is e-mailed from, and says so when the rule is off', () => {
  assert.match(ruleSentence({ ...RULE, emailUser: true, mailbox: ' it@contoso.com ' }),
    /announced to its user \(by e-mail from it@contoso\.com\) and the tenant's admins/);
  assert.match(ruleSentence({ ...RULE, emailUser: true }), /from the mailbox below/);
  assert.match(ruleSentence({ ...RULE, unusedDays: Number.NaN }), /for the days set is announced/);
  assert.equal(ruleSentence({ ...RULE, enabled: false }), 'Off: no Cloud PC is taken back for being unused.');
});

test('the preview in words, one or many, on or off', () => {
  assert.equal(previewSentence({ toAnnounce: 3, toReclaim: 1 }, true),
    'Saved now, this rule would announce 3 Cloud PCs and put 1 in its grace period.');
  assert.equal(previewSentence({ toAnnounce: 1, toReclaim: 2 }, true),
    'Saved now, this rule would announce 1 Cloud PC and put 2 in their grace periods.');
  assert.equal(previewSentence({ toAnnounce: 0, toReclaim: 0 }, false),
    'Turned on and saved now, this rule would announce no Cloud PC and put none in its grace period.');
});

test('the body sends the mailbox only when the user is e-mailed, and an emptied number as nothing', () => {
  assert.deepEqual(ruleBody({ ...RULE, mailbox: 'it@contoso.com' }), { ...RULE, mailbox: null });
  assert.deepEqual(ruleBody({ ...RULE, emailUser: true, mailbox: ' it@contoso.com ' }), { ...RULE, emailUser: true, mailbox: 'it@contoso.com' });
  assert.equal(ruleBody({ ...RULE, emailUser: true, mailbox: '  ' }).mailbox, null);
  assert.equal(ruleBody({ ...RULE, unusedDays: Number.NaN }).unusedDays, null);
});

test("a save's refusal of reclaim.* fields, and the preview's of its days, land at the form's fields", () => {
  const refused = {
    message: 'The request has 2 invalid fields.',
    details: [
      { message: 'reclaim.unusedDays: must be at least 7', target: 'reclaim.unusedDays' },
      { message: 'emailUser needs the mailbox to send from', target: 'body.reclaim.mailbox' },
    ],
  };
  assert.deepEqual(errorsByField(atRuleFields(refused), RULE_FIELDS), {
    fields: { unusedDays: 'Must be at least 7', mailbox: 'EmailUser needs the mailbox to send from' },
    general: ['The request has 2 invalid fields.'],
  });
  const preview = { message: 'unusedDays must be a whole number from 7 to 365.', target: 'unusedDays', details: [] };
  assert.deepEqual(errorsByField(atRuleFields(preview), RULE_FIELDS),
    { fields: { unusedDays: 'Must be a whole number from 7 to 365.' }, general: [] });
  assert.deepEqual(errorsByField(atRuleFields({ message: 'Changed since read.', target: null }), RULE_FIELDS),
    { fields: {}, general: ['Changed since read.'] });
});
