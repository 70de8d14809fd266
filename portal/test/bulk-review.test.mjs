import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmation, reviewHeadline, skipTokenOf, splitReview } from '../src/lib/bulk-review.js';

const refusal = (id) => ({ cloudPcId: id, status: 'failed', error: { code: 'wrongStatus', message: `Cannot retry ${id}` } });

test('a review splits into what goes ahead and what is refused, in the order given', () => {
  const answer = { results: [{ cloudPcId: 'a', status: 'pending' }, refusal('b'), { cloudPcId: 'c', status: 'pending' }] };
  const { accepted, refused } = splitReview(answer);
  assert.deepEqual(accepted, ['a', 'c']);
  assert.deepEqual(refused.map((item) => item.error.code), ['wrongStatus']);
});

test('the headline counts what goes ahead and what is refused', () => {
  assert.equal(reviewHeadline('Restart', { accepted: ['a', 'b'], refused: [] }), 'Restart: all 2 Cloud PCs can go ahead.');
  assert.equal(reviewHeadline('Restart', { accepted: ['a'], refused: [] }), 'Restart: the selected Cloud PC can go ahead.');
  assert.equal(reviewHeadline('Retry', { accepted: ['a'], refused: [refusal('b'), refusal('c')] }), 'Retry: 1 of 3 can go ahead. 2 would be refused:');
  assert.match(reviewHeadline('Retry', { accepted: [], refused: [refusal('b')] }), /^None of the selected .* retry would be refused/);
});

test('the confirmation names the count', () => {
  assert.deepEqual(confirmation('Restart', 3), { title: 'Restart 3 Cloud PCs?', confirmLabel: 'Restart 3 Cloud PCs' });
  assert.equal(confirmation('Power off', 1).title, 'Power off 1 Cloud PC?');
});

test('the skipToken of a nextLink, absolute or not; nothing when there is no next page', () => {
  assert.equal(skipTokenOf('http://127.0.0.1:7071/api/tenants/t/cloudPCs?top=50&status=failed&skipToken=abc%2B1'), 'abc+1');
  assert.equal(skipTokenOf('/api/tenants/t/cloudPCs?skipToken=xyz'), 'xyz');
  assert.equal(skipTokenOf(undefined), null);
  assert.equal(skipTokenOf('http://host/api/x?top=5'), null);
});
