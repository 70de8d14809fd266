import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { weekLayout } from '../src/lib/schedule.js';

// the server's rule on each case: written by tests/unit/test_schedule_phase_cases.py from phase_at and the API's refusals
const CASES = JSON.parse(readFileSync(new URL('./fixtures/schedule-phases.json', import.meta.url), 'utf8'));

for (const [name, { schedule, days, refused }] of Object.entries(CASES)) {
  test(`the week is the server's: ${name}`, () => {
    const layout = weekLayout(schedule);
    assert.deepEqual(layout.problems.map(({ target, code }) => ({ target, code })), refused || []);
    if (days) {
      const portal = layout.days.map((day) => day.segments.map(({ from, to, phase, set }) => ({ from, to, phase, builtIn: set === null })));
      assert.deepEqual(portal, days);
    }
  });
}
