import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resizeTargets } from '../src/lib/service-plans.js';

const plan = (id, type, provisioningType) => ({ id, type, provisioningType });

test('only Enterprise plans of one user, other than the current one, are resize targets', () => {
  const plans = [
    plan('e-small', 'enterprise', 'dedicated'), plan('e-big', 'enterprise', 'dedicated'),
    plan('business', 'business', 'dedicated'), plan('shared', 'enterprise', 'shared'),
  ];
  assert.deepEqual(resizeTargets(plans, 'e-small').map((one) => one.id), ['e-big']);
  assert.deepEqual(resizeTargets(undefined, 'e-small'), []);
});
