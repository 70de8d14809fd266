// A Cloud PC's timeline as a chart: one row per attempt of a run, one bar per step (x = time), milestones as marks.
import { words } from './format.js';

export const OUTCOMES = ['succeeded', 'warning', 'failed', 'running', 'info']; // of the API's (vocabulary.js)
// milestones that belong to one attempt (drawn on its row) and those that end a run (drawn on its last row)
const ATTEMPT_MILESTONES = new Set(['provisioningStarted', 'attemptFailed', 'attemptCleanedUp']);
const RUN_RESULTS = new Set(['provisioned', 'provisioningFailed']);
// Every name the engine gives a step, a phase or a timeline line, in an admin's words. The server's names are held
// to this map by tests/unit/test_portal_step_words.py, so a new step cannot reach a page unnamed.
// step-words:begin
export const STEP_WORDS = {
  // a Cloud PC's provisioning steps (shared/services/cloud_pcs/provisioning_steps.py)
  allocateCapacity: 'Reserve capacity', createVm: 'Create the VM', attachNetwork: 'Connect the network',
  joinEntra: 'Join Microsoft Entra ID', enrollIntune: 'Enroll in Intune', assignPrimaryUser: 'Set the primary user',
  hideStartMenuPowerIcons: 'Hide the power buttons', disableWindowsReset: 'Turn off Windows reset',
  addLocalAdmin: 'Make the user a local administrator', setTeamsVdiMode: 'Set up Teams for virtual desktops',
  enableTimeZoneRedirection: 'Follow the user\'s time zone', setLanguage: 'Set the language',
  resizeOsDisk: 'Extend the OS disk', assignUser: 'Give the user access', registerSessionHost: 'Register with Azure Virtual Desktop',
  // a Cloud PC's milestones (the state machine's lines and the lifecycle's)
  provisioningStarted: 'Provisioning started', attemptFailed: 'Attempt failed', attemptCleanedUp: 'Failed attempt removed',
  provisioned: 'Provisioned', provisioningFailed: 'Provisioning failed', gracePeriodStarted: 'Grace period started',
  gracePeriodCancelled: 'Grace period cancelled', deprovisioningStarted: 'Deprovisioning started',
  retryRequested: 'Retry asked', reprovisionRequested: 'Reprovision asked', resizeRequested: 'Resize asked',
  resized: 'Resized', resizeFailed: 'Resize failed', rebootRequested: 'Restart asked', powerOnRequested: 'Start asked',
  powerOffRequested: 'Shut-down asked', sleepStarted: 'Put to sleep', awake: 'Woke up', renamed: 'Renamed',
  troubleshootStarted: 'Troubleshooting started', restoreRequested: 'Restore asked',
  restorePointRequested: 'Restore point asked', windows365StatusChanged: 'Windows 365 reported a status',
  rebooted: 'Restarted', poweredOn: 'Started', poweredOff: 'Shut down', troubleshot: 'Troubleshooting done',
  asleep: 'Asleep', heldByAzure: 'Held by Azure', deleteVms: 'Delete the VMs', deprovisioned: 'Deprovisioned',
  cleanedUp: 'Cleaned up', cleanUpRefused: 'Clean-up refused', windows365Audit: 'Windows 365 audit',
  reclaimAnnounced: 'Announced unused', reclaimCancelled: 'Kept: its user connected',
  // an image set version's build and removal (shared/services/spot_pc/image_builds.py)
  createBuildVm: 'Create the build VM', 'runScript:': 'Run script', awaitCustomization: 'Wait for your changes',
  sysprep: 'Generalize Windows (Sysprep)', deallocateVm: 'Stop the build VM', generalizeVm: 'Mark the VM generalized',
  ensureImageDefinition: 'Make the image definition', createImageVersion: 'Capture the image version',
  deleteBuildVm: 'Delete the build VM', deleteBuildNic: 'Delete the build VM\'s network card',
  'deleteImageVersion:': 'Delete image version', deleteImageDefinition: 'Delete the image definition',
  forget: 'Forget the records',
  // a Spot Group's and its hosts' phases (shared/services/spot_pc/spot_group_deployments.py, host_power.py)
  ensureHostPool: 'Make the host pool', settle: 'Settle', deleteHostPool: 'Delete the host pool',
  joinDevice: 'Join the directory', configureProfile: 'Set up the user profiles', registerHost: 'Register the host',
  drainHost: 'Drain the host', awaitSignOut: 'Wait for users to sign out', removeHost: 'Remove the host',
  heal: 'Replace the unhealthy host', repair: 'Repair the host',
  deleteVm: 'Delete the VM', deleteNic: 'Delete the network card', deleteDevice: 'Delete the device',
  forgetHost: 'Forget the host', removeHosts: 'Remove the hosts', maintenanceWindow: 'Maintenance window',
  deploy: 'Deploy', imageUpdate: 'Image update', powerVm: 'Start or stop the VM',
};
// step-words:end

/** A step's, a phase's or a line's name in an admin's words: 'createVm' -> 'Create the VM', 'runScript:0' ->
 * 'Run script 1' (a name with a part after its colon: the script's place, the version's number). */
export function lineName(name) {
  if (!name) return '';
  if (STEP_WORDS[name]) return STEP_WORDS[name];
  const [head, rest] = String(name).split(/:(.*)/s);
  if (rest !== undefined && STEP_WORDS[`${head}:`]) return `${STEP_WORDS[`${head}:`]} ${/^\d+$/.test(rest) ? Number(rest) + 1 : rest}`;
  return words(name);
}
/** A line's message with the step it opens with in words: 'createVm: Azure did not answer' -> 'Create the VM: Azure …'. */
export const lineMessage = (message) => String(message ?? '').replace(/^([a-zA-Z]+(?::\w+)?): /, (whole, name) => (STEP_WORDS[name] || STEP_WORDS[`${name.split(':')[0]}:`] ? `${lineName(name)}: ` : whole));
// tick spacings a reader counts in: sub-second for the emulator's instant steps, up to a day for a stuck join
const SECOND = 1000;
const MIN_SPAN = 100; // instant steps (the emulator's) still spread over a readable axis
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const TICK_STEPS = [100, 200, 500, SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR,
  12 * HOUR, 24 * HOUR];

function ms(value) {
  if (!value) return null;
  const time = new Date(value).getTime();
  return Number.isNaN(time) ? null : time;
}

/** '+1 min 30 s' for an offset from the start of the chart. */
export function formatOffset(offset) {
  if (offset <= 0) return '0';
  if (offset < SECOND) return `+${Math.round(offset)} ms`;
  if (offset < MINUTE) return `+${Number((offset / SECOND).toFixed(1))} s`;
  const minutes = Math.floor(offset / MINUTE);
  const seconds = Math.round((offset % MINUTE) / SECOND);
  if (offset < HOUR) return `+${minutes} min${seconds ? ` ${seconds} s` : ''}`;
  const hours = Math.floor(offset / HOUR);
  return `+${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** Ticks at a round spacing from 0 to `span` ms, at most `most` of them. */
export function ticksFor(span, most = 7) {
  const step = TICK_STEPS.find((candidate) => span / candidate <= most - 1) ?? Math.ceil(span / (most - 1));
  const ticks = [];
  for (let offset = 0; offset <= span + 1e-6; offset += step) ticks.push(offset);
  return { step, ticks };
}

/** The time a step covers: a running one reaches `now`, one without an end is an instant at its start. */
function spanOf(event, now) {
  const start = ms(event.startDateTime) ?? ms(event.dateTime);
  let end = ms(event.endDateTime);
  if (end === null) end = event.outcome === 'running' ? now : ms(event.dateTime) ?? start;
  return { start, end: Math.max(end ?? start, start) };
}

const rowKey = (run, attempt) => `${run}.${attempt}`;

function rowOutcome(outcomes) {
  for (const outcome of ['failed', 'running', 'warning']) if (outcomes.includes(outcome)) return outcome;
  return outcomes.length && outcomes.every((outcome) => outcome === 'info') ? 'info' : 'succeeded';
}

/**
 * Lays out `events` (GET .../cloudPCs/{id}/events, in any order) for one run (the latest unless `run` is given):
 * rows of attempts with bars in px, milestone marks, axis ticks. `now` ends the steps still running.
 */
export function layoutTimeline(events, options = {}) {
  const { now = Date.now(), width = 880, labelWidth = 168, laneHeight = 22, gap = 8, top = 26, minBar = 4 } = options;
  const drawn = events.filter((event) => event.kind === 'step' || ATTEMPT_MILESTONES.has(event.name) || RUN_RESULTS.has(event.name));
  const runs = [...new Set(drawn.filter((event) => event.kind === 'step' || ATTEMPT_MILESTONES.has(event.name)).map((event) => event.run ?? 1))].sort((a, b) => a - b);
  const empty = { runs, run: null, rows: [], bars: [], markers: [], ticks: [], width, height: 0, start: null, end: null };
  if (!runs.length) return empty;
  const run = runs.includes(options.run) ? options.run : runs[runs.length - 1];
  const mine = drawn.filter((event) => (event.run ?? 1) === run);

  // the rows: every attempt with a step or a milestone of its own, in attempt order
  const byKey = new Map();
  const rowOf = (attempt) => {
    const key = rowKey(run, attempt);
    if (!byKey.has(key)) byKey.set(key, { key, run, attempt, steps: [], marks: [] });
    return byKey.get(key);
  };
  for (const event of mine) {
    if (event.kind === 'step') rowOf(event.attempt || 1).steps.push({ event, ...spanOf(event, now) });
    else if (ATTEMPT_MILESTONES.has(event.name)) rowOf(event.attempt || 1).marks.push({ event, time: ms(event.dateTime) });
  }
  const attempts = [...byKey.values()].sort((a, b) => a.attempt - b.attempt);
  for (const event of mine.filter((one) => RUN_RESULTS.has(one.name))) attempts[attempts.length - 1].marks.push({ event, time: ms(event.dateTime) });

  const times = attempts.flatMap((row) => [...row.steps.flatMap((step) => [step.start, step.end]), ...row.marks.map((mark) => mark.time)]).filter((time) => time !== null);
  const start = Math.min(...times);
  const span = Math.max(Math.max(...times) - start, MIN_SPAN);
  const plot = width - labelWidth - minBar - 2;
  const { step, ticks } = ticksFor(span, Math.min(7, Math.max(3, Math.floor(plot / 72)))); // a label is up to 72 px wide
  const end = start + span;
  const x = (time) => labelWidth + ((time - start) / (end - start)) * plot;

  const rows = [];
  const bars = [];
  const markers = [];
  let y = top;
  for (const attempt of attempts) {
    attempt.steps.sort((a, b) => a.start - b.start || a.end - b.end);
    const laneEnds = []; // a step takes the first lane free at its start: overlapping steps do not hide each other
    const lanes = attempt.steps.map((one) => {
      let lane = laneEnds.findIndex((laneEnd) => laneEnd <= one.start);
      if (lane === -1) lane = laneEnds.push(one.end) - 1;
      else laneEnds[lane] = one.end;
      return lane;
    });
    const height = Math.max(1, laneEnds.length) * laneHeight;
    const outcomes = [...attempt.steps.map((one) => one.event.outcome), ...attempt.marks.filter((mark) => mark.event.name === 'attemptFailed').map(() => 'failed')];
    const outcome = rowOutcome(outcomes);
    rows.push({ key: attempt.key, run, attempt: attempt.attempt, label: `Attempt ${attempt.attempt}`, outcome, y, height });
    attempt.steps.forEach((one, index) => {
      const left = x(one.start);
      bars.push({
        key: one.event.id,
        row: attempt.key,
        name: one.event.name,
        stage: one.event.stage,
        outcome: one.event.outcome,
        message: one.event.message || null,
        running: one.event.outcome === 'running',
        x: left,
        y: y + lanes[index] * laneHeight + 3,
        width: Math.max(minBar, x(one.end) - left),
        height: laneHeight - 6,
        start: one.start,
        end: one.end,
      });
    });
    for (const mark of attempt.marks.filter((one) => one.time !== null)) {
      markers.push({ key: mark.event.id, row: attempt.key, name: mark.event.name, outcome: mark.event.outcome, message: mark.event.message || null, x: x(mark.time), y: y + height / 2, time: mark.time });
    }
    y += height + gap;
  }
  return {
    runs,
    run,
    rows,
    bars,
    markers,
    // the last label ends at its tick, so it is not cut off at the right edge
    ticks: ticks.map((offset, index) => ({ x: x(start + offset), offset, label: formatOffset(offset), anchor: index && x(start + offset) > width - 40 ? 'end' : 'middle' })),
    step,
    width,
    height: y,
    start,
    end,
  };
}
