import assert from 'node:assert/strict';
import { test } from 'node:test';
import { galleryChoices } from '../src/lib/gallery.js';

const image = (id, displayName, recommendedFor, status = 'supported') => ({ id, displayName, skuName: `${id}-sku`, recommendedFor, status });

test('supported images for one person come first, then with a warning, multi-session, unsupported; the first is preselected', () => {
  const { images, recommended } = galleryChoices([
    image('multi', 'Windows 11 Enterprise multi-session', ['pooled']),
    image('old', 'Windows 10 Enterprise', ['personal'], 'notSupported'),
    image('w10', 'Windows 10 Enterprise 22H2', ['personal'], 'supportedWithWarning'),
    image('w11', 'Windows 11 Enterprise 24H2', ['personal']),
  ]);
  assert.deepEqual(images.map((one) => one.id), ['w11', 'w10', 'multi', 'old']);
  assert.equal(recommended, 'w11');
});

test('images that share a name are told apart by their SKU', () => {
  const { images } = galleryChoices([image('a', 'Windows 11 Enterprise', ['personal']), image('b', 'Windows 11 Enterprise', ['personal']), image('c', 'Other', [])]);
  assert.deepEqual(images.map((one) => one.label), ['Windows 11 Enterprise (a-sku)', 'Windows 11 Enterprise (b-sku)', 'Other']);
});

test('with nothing for one person, nothing is preselected', () => {
  assert.equal(galleryChoices([image('multi', 'Multi', ['pooled'])]).recommended, null);
});
