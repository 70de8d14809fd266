import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionQuestion, lengthNote, mergePages, reasonOf, resultHeadline, resultRows } from '../src/lib/spot-sessions.js';

const result = (sessionId, statusCode, error) => ({ sessionId, status: statusCode === 204 ? 'succeeded' : 'failed', statusCode, ...(error ? { error } : {}) });
const BULK = {
  action: 'logOff', status: 'partiallySucceeded', counts: { succeeded: 2, failed: 1 },
  results: [result('host-0-1', 204), result('host-1-1', 404, { code: 'notFound', message: 'The session is not there.' }), result('host-0-2', 204)],
};

test('a log-off says that unsaved work is lost, and names the count', () => {
  const question = actionQuestion('logOff', 3);
  assert.equal(question.title, 'Log off 3 sessions?');
  assert.match(question.message, /not saved is lost/);
  assert.equal(question.confirmLabel, 'Log off 3 sessions');
  assert.equal(question.destructive, true);
  assert.match(actionQuestion('logOff', 1).message, /^Log off this user now\?/);
  const disconnect = actionQuestion('disconnect', 1);
  assert.equal(disconnect.title, 'Disconnect 1 session?');
  assert.equal(disconnect.destructive, false);
});

test('a session that is gone is said plainly; another failure in the catalogue words', () => {
  assert.equal(reasonOf(BULK.results[0]), null);
  assert.match(reasonOf(BULK.results[1]), /^The session is gone/);
  assert.equal(reasonOf(result('h-1', 503, { code: 'throttled', summary: 'Azure is busy.', message: 'x' })), 'Azure is busy.');
  assert.equal(reasonOf(result('h-1', 503)), 'Azure answered 503.');
});

test('the headline counts what went and what did not', () => {
  assert.equal(resultHeadline(BULK), 'Logged off: 2 of 3 sessions. 1 failed: see its row below.');
  assert.equal(resultHeadline({ action: 'sendMessage', counts: { succeeded: 1, failed: 0 } }), 'Message sent: the session.');
  assert.equal(resultHeadline({ action: 'disconnect', counts: { succeeded: 4, failed: 0 } }), 'Disconnected: all 4 sessions.');
  assert.equal(resultHeadline({ action: 'logOff', counts: { succeeded: 0, failed: 2 } }), 'Log off failed for all 2 sessions.');
});

test('each result keeps the user and host the session had when it was selected', () => {
  const seen = new Map([['host-0-1', { userPrincipalName: 'ann@contoso.com', sessionHostName: 'host-0' }],
    ['host-1-1', { userPrincipalName: 'bob@contoso.com', sessionHostName: 'host-1' }]]);
  const rows = resultRows(BULK, seen);
  assert.deepEqual(rows.map((row) => [row.userPrincipalName, row.sessionHostName, row.status]), [
    ['ann@contoso.com', 'host-0', 'succeeded'], ['bob@contoso.com', 'host-1', 'failed'], ['host-0-2', '—', 'succeeded']]);
  assert.match(rows[1].reason, /gone/);
});

test('a text field counts its characters against its limit', () => {
  assert.equal(lengthNote('Hello', 100), '5 of 100 characters');
  assert.equal(lengthNote(undefined, 1000), '0 of 1000 characters');
});

test("a timeline's pages are kept in order, each line once", () => {
  const first = [{ id: 'c' }, { id: 'b' }];
  assert.deepEqual(mergePages(first, [{ id: 'b' }, { id: 'a' }]).map((line) => line.id), ['c', 'b', 'a']);
  assert.deepEqual(mergePages(null, null), []);
});
