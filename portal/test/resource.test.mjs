// The model layer's stores (models/resource.js) on a clock and a loader driven by hand: shared reads, polling, late answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { change, createResources } from '../src/models/resource.js';

/** A clock whose time moves only when told: `advance(ms)` runs each timer that falls due, in order. */
function handClock() {
  const timers = new Set();
  const clock = {
    time: 0,
    timers,
    now: () => clock.time,
    every(ms, run) {
      const timer = { ms, run, next: clock.time + ms };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    advance(ms) {
      const end = clock.time + ms;
      for (let due = next(end); due; due = next(end)) {
        clock.time = due.next;
        due.next += due.ms;
        due.run();
      }
      clock.time = end;
    },
  };
  const next = (end) => [...timers].filter((timer) => timer.next <= end).sort((a, b) => a.next - b.next)[0];
  return clock;
}

/** A loader each of whose reads waits to be answered (or failed) by hand. */
function handLoader() {
  const reads = [];
  const load = (key) => new Promise((answer, fail) => reads.push({ key, answer, fail }));
  return { reads, load };
}

const answered = () => new Promise((resolve) => setImmediate(resolve)); // the store has taken the answer in

function setUp(options) {
  const clock = handClock();
  const { reads, load } = handLoader();
  const resource = createResources(clock);
  return { clock, reads, store: resource('tenants/t/sites', load, options), resource, load };
}

test('two things showing one key share its store and its read', async () => {
  const { clock, reads, store, resource, load } = setUp();
  assert.equal(resource('tenants/t/sites', load), store);
  assert.equal(store.loading.value, true);
  store.watch();
  store.watch();
  assert.equal(reads.length, 1);
  assert.equal(reads[0].key, 'tenants/t/sites');
  clock.time = 42;
  reads[0].answer(['HQ']);
  await answered();
  assert.deepEqual(store.data.value, ['HQ']);
  assert.equal(store.loading.value, false);
  assert.equal(store.error.value, null);
  assert.equal(store.asOf.value.getTime(), 42);
});

test('it is read again each time it is shown anew, unless a read is under way', async () => {
  const { reads, store } = setUp();
  const stop = store.watch();
  reads[0].answer(['HQ']);
  await answered();
  stop();
  store.watch();
  assert.equal(reads.length, 2);
  assert.deepEqual(store.data.value, ['HQ'], 'the last answer stays shown while it is read again');
  store.watch();
  assert.equal(reads.length, 2);
});

test('it is followed every intervalMs while active, every idleMs otherwise, and not once nothing shows it', async () => {
  const { clock, reads, store } = setUp({ active: (data) => data.busy, intervalMs: 100, idleMs: 1000 });
  const stop = store.watch();
  clock.advance(5000);
  assert.equal(reads.length, 1, 'the first read is still under way: no poll sends another');
  reads.at(-1).answer({ busy: true });
  await answered();
  assert.equal(store.running.value, true);
  clock.advance(100);
  assert.equal(reads.length, 2);
  reads.at(-1).answer({ busy: false });
  await answered();
  assert.equal(store.running.value, false);
  clock.advance(999);
  assert.equal(reads.length, 2);
  clock.advance(1);
  assert.equal(reads.length, 3);
  stop();
  assert.equal(clock.timers.size, 0);
  clock.advance(10_000);
  assert.equal(reads.length, 3);
});

test('a poll waits for a slow read rather than sending more, and sends anew once a read is out past patienceMs', async () => {
  const { clock, reads, store } = setUp({ active: () => true, intervalMs: 100, patienceMs: 1000 });
  store.watch();
  reads[0].answer('provisioning');
  await answered();
  clock.advance(100);
  assert.equal(reads.length, 2);
  clock.advance(500);
  assert.equal(reads.length, 2, 'five polls came while the read was out: none sent another');
  reads[1].answer('provisioned');
  await answered();
  assert.equal(store.data.value, 'provisioned', 'the slow answer is shown, not superseded');
  clock.advance(100);
  assert.equal(reads.length, 3);
  clock.advance(1000);
  assert.equal(reads.length, 4, 'a read out for patienceMs is given up for a new one');
  store.refresh();
  assert.equal(reads.length, 5, 'asked by hand, it reads at once');
});

test('without idleMs an idle store is read only when shown or refreshed', async () => {
  const { clock, reads, store } = setUp({ active: () => false });
  store.watch();
  reads[0].answer([]);
  await answered();
  clock.advance(60_000);
  assert.equal(reads.length, 1);
  store.refresh();
  assert.equal(reads.length, 2);
});

test('an earlier read that answers late does not replace a later answer', async () => {
  const { reads, store } = setUp();
  store.watch();
  store.refresh();
  reads[1].answer('new');
  await answered();
  reads[0].answer('old');
  await answered();
  assert.equal(store.data.value, 'new');
  assert.equal(store.loading.value, false);
});

test('a failure keeps the last answer shown and says why; the next answer clears it', async () => {
  const { reads, store } = setUp();
  store.watch();
  reads[0].answer(['HQ']);
  await answered();
  const refused = new Error('throttled');
  store.refresh();
  reads[1].fail(refused);
  await answered();
  assert.deepEqual(store.data.value, ['HQ']);
  assert.equal(store.error.value, refused);
  store.refresh();
  reads[2].answer(['HQ', 'Branch']);
  await answered();
  assert.equal(store.error.value, null);
  assert.deepEqual(store.data.value, ['HQ', 'Branch']);
});

test('invalidate reads a shown store at once, and one nothing shows when it is next shown', async () => {
  const { reads, store } = setUp();
  const stop = store.watch();
  reads[0].answer([]);
  await answered();
  store.invalidate();
  assert.equal(reads.length, 2);
  reads[1].answer(['HQ']);
  await answered();
  stop();
  store.invalidate();
  assert.equal(reads.length, 2);
  store.watch();
  assert.equal(reads.length, 3);
});

test('a fixed store is read once, again only when invalidated or when it could not be read', async () => {
  const { reads, store } = setUp({ fixed: true });
  let stop = store.watch();
  reads[0].fail(new Error('offline'));
  await answered();
  stop();
  stop = store.watch();
  assert.equal(reads.length, 2, 'not read yet: read again');
  reads[1].answer(['westeurope']);
  await answered();
  stop();
  stop = store.watch();
  assert.equal(reads.length, 2);
  stop();
  store.invalidate();
  store.watch();
  assert.equal(reads.length, 3);
});

test('after an action it is followed as if work ran for the time given', async () => {
  const { clock, reads, store } = setUp({ active: () => false, intervalMs: 100 });
  store.watch();
  reads[0].answer('provisioned');
  await answered();
  assert.equal(store.running.value, false);
  store.keepPolling(250);
  assert.equal(store.running.value, true);
  clock.advance(100);
  reads[1].answer('provisioned');
  await answered();
  clock.advance(100);
  assert.equal(reads.length, 3);
  reads[2].answer('provisioned');
  await answered();
  assert.equal(store.running.value, true);
  clock.advance(100);
  reads[3].answer('provisioned');
  await answered();
  assert.equal(store.running.value, false, 'past the time given, the next answer settles it');
  clock.advance(10_000);
  assert.equal(reads.length, 4);
});

test('change reads the stores again once the action succeeds, or when it was refused as stale (412), not otherwise', async () => {
  const { reads, store } = setUp();
  store.watch();
  reads[0].answer([]);
  await answered();
  const done = change(async () => 'created', store);
  await answered();
  assert.equal(reads.length, 2);
  reads[1].answer(['HQ']);
  assert.equal(await done, 'created');
  assert.deepEqual(store.data.value, ['HQ']);

  const stale = Object.assign(new Error('changed meanwhile'), { status: 412 });
  const refused = change(async () => { throw stale; }, store);
  await answered();
  assert.equal(reads.length, 3);
  reads[2].answer(['HQ renamed']);
  await assert.rejects(refused, stale);

  await assert.rejects(change(async () => { throw Object.assign(new Error('in use'), { status: 409 }); }, store));
  assert.equal(reads.length, 3);
});
