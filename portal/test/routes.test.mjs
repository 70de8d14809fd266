import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, href, match, parseHash } from '../src/lib/routes.js';

test('a pattern matches its path and decodes its parameters', () => {
  const matcher = compile('/tenants/:tenantId/cloudPCs/:cloudPcId');
  assert.deepEqual(matcher('/tenants/t%201/cloudPCs/c-2'), { tenantId: 't 1', cloudPcId: 'c-2' });
  assert.deepEqual(matcher('/tenants/t/cloudPCs/c/'), { tenantId: 't', cloudPcId: 'c' });
  assert.equal(matcher('/tenants/t/cloudPCs'), null);
  assert.equal(matcher('/tenants/t/cloudPCs/c/events'), null);
});

test('a hash splits into path and query; an empty one is the overview', () => {
  assert.deepEqual(parseHash(''), { path: '/', query: {} });
  assert.deepEqual(parseHash('#/tenants/t/cloudPCs?status=failed&search=ad'), {
    path: '/tenants/t/cloudPCs',
    query: { status: 'failed', search: 'ad' },
  });
});

test('the first matching route wins', () => {
  const routes = [
    { name: 'new', matcher: compile('/tenants/:tenantId/policies/new') },
    { name: 'one', matcher: compile('/tenants/:tenantId/policies/:policyId') },
  ];
  assert.equal(match(routes, '/tenants/t/policies/new').route.name, 'new');
  assert.equal(match(routes, '/tenants/t/policies/p').route.name, 'one');
  assert.equal(match(routes, '/elsewhere'), null);
});

test('links encode parameters and leave out empty query values', () => {
  assert.equal(href('/tenants/:tenantId/cloudPCs', { tenantId: 'a/b' }, { status: 'failed', search: '' }), '#/tenants/a%2Fb/cloudPCs?status=failed');
  assert.equal(href('/'), '#/');
});
