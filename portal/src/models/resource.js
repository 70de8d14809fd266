// What the portal reads from the API, as signals: one store per key, shared by everything that shows it, kept fresh while shown.
import { batch, computed, effect, signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';

const browserClock = {
  now: () => Date.now(),
  every: (ms, run) => {
    const timer = setInterval(run, ms);
    return () => clearInterval(timer);
  },
};

/**
 * A set of stores: `resource(key, load, options)` is the store of `key` (made on first use: one key, one `load`), with
 * `data`, `error`, `loading` and `asOf` (when `data` was read) as signals, and `running` while `active(data)` holds.
 * A store is read when something starts showing it (`watch()`) unless a read is under way, every `intervalMs` while
 * running and every `idleMs` otherwise (when given), and no more once nothing shows it; a `fixed` one (a list the API
 * keeps while it runs, a name) is read once, until invalidated. A poll waits for the read under way, unless that read
 * has been out for `patienceMs`: a busy API that answers slower than the interval is not sent more reads (each one
 * superseding the last, none would ever be shown). `clock` ({now, every}) is the browser's unless a test drives time
 * by hand.
 */
export function createResources(clock = browserClock) {
  const stores = new Map();

  function make(key, load, { active = () => false, intervalMs = 2500, idleMs = null, fixed = false, patienceMs = 30_000 }) {
    const data = signal(null);
    const error = signal(null);
    const loading = signal(true);
    const asOf = signal(null);
    const watchers = signal(0);
    const until = signal(0); // followed as if work ran until then: an action's effect shows a little later
    // asked again at each answer (asOf is new each time), so the time past `until` tells once the next comes
    const running = computed(() => asOf.value !== null && data.value !== null && (active(data.value) || clock.now() < until.value));
    let asked = 0;
    let answered = 0;
    let askedAt = 0;
    let stale = false;
    const refresh = () => {
      const ticket = ++asked;
      askedAt = clock.now();
      stale = false;
      loading.value = true;
      const settle = (change) => {
        if (ticket !== asked) return; // a later read is under way: its answer is the one shown
        answered = ticket;
        batch(() => {
          change();
          loading.value = false;
        });
      };
      return load(key).then(
        (answer) => settle(() => {
          data.value = answer;
          error.value = null;
          asOf.value = new Date(clock.now());
        }),
        (failure) => settle(() => { error.value = failure; }),
      );
    };
    const shown = computed(() => watchers.value > 0);
    effect(() => {
      if (!shown.value) return undefined;
      const every = running.value ? intervalMs : idleMs;
      const poll = () => (asked === answered || clock.now() - askedAt >= patienceMs ? refresh() : undefined);
      return every ? clock.every(every, poll) : undefined;
    });
    return {
      key, data, error, loading, asOf, running, refresh,
      /** Something shows the store from now on; the function it answers says it no longer does. */
      watch() {
        const idle = asked === answered;
        watchers.value = watchers.peek() + 1;
        if (idle && (!fixed || stale || data.peek() === null)) refresh();
        return () => { watchers.value = watchers.peek() - 1; };
      },
      /** Read again now when shown, else when next shown. */
      invalidate() {
        if (watchers.peek()) return refresh();
        stale = true;
        return undefined;
      },
      /** Followed as if work ran for `ms` more. */
      keepPolling(ms) {
        until.value = clock.now() + ms;
      },
    };
  }

  return (key, load, options = {}) => {
    if (!stores.has(key)) stores.set(key, make(key, load, options));
    return stores.get(key);
  };
}

export const resource = createResources();

/** Runs an action, then reads again the stores it changed (shown ones now, others when next shown); a 412 (changed by
 * someone else since it was read) reads them again too, so the page shows that change. */
export async function change(work, ...stores) {
  const reread = () => Promise.all(stores.map((store) => store.invalidate()));
  let answer;
  try {
    answer = await work();
  } catch (error) {
    if (error.status === 412) await reread();
    throw error;
  }
  await reread();
  return answer;
}

const NOTHING = { data: null, error: null, loading: false, asOf: null, running: false, refresh: () => {} };

/**
 * A store's state for a component, which shows it (so it is read and followed) while mounted: `{data, error, loading,
 * asOf, running, refresh}`. A new store (other filters, another page of a list) shows the last one's answer until its
 * own comes. `null`: nothing to read yet.
 */
export function useResource(store) {
  useEffect(() => store?.watch(), [store]);
  const last = useRef(store);
  if (!store) return NOTHING;
  if (!last.current || store.data.value !== null || store.error.value) last.current = store;
  const shown = last.current;
  return {
    data: shown.data.value, error: shown.error.value, asOf: shown.asOf.value, running: shown.running.value,
    loading: store.loading.value, refresh: () => store.refresh(),
  };
}
