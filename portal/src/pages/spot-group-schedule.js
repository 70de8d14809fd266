// A pooled Spot Group's schedule editor: time zone, weekday sets and their phases, dates, pre-staging, the week drawn as it is edited, Try it, Save.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { can } from '../access.js';
import { href } from '../router.js';
import { ActionButton, ErrorBanner, Field, Notice, Page, confirm, useForm } from '../ui.js';
import { dateTime, plural, span, words } from '../lib/format.js';
import {
  PHASE_WORDS, atFields, draftOf, fieldNames, flatten, newWeekdaySet, parseLoadCurve, sampleDay, scheduleBody, setAt, weekLayout,
} from '../lib/schedule.js';
import { replaySummary } from '../lib/replay-chart.js';
import { lengthNote } from '../lib/spot-sessions.js';
import { useResource } from '../models/resource.js';
import { removeSchedule, replaySchedule, saveSchedule, spotGroupSchedule } from '../models/spot-schedules.js';
import { spotGroup } from '../models/spot-groups.js';
import { LOAD_BALANCING, LOG_OFF_MAX_LENGTHS, LOG_OFF_RANGES, PRE_STAGING_RANGES, SCHEDULE_PHASES, WEEKDAYS } from '../vocabulary.js';
import { ReplayChart, ReplayHours, ReplayTotals, WeekChart } from './spot-schedule-charts.js';
import { ZonePicker } from '../zone-picker.js';

const MAX_SETS = 7;
const BALANCING_WORDS = { breadthFirst: 'Breadth-first', depthFirst: 'Depth-first' };
const POLICY_WORDS = { waitForSignOut: 'Wait for them to sign out', notifyThenLogOff: 'Send a message, then log them off' };

/** A set's days (a maintenance window's too): a checkbox a weekday, and the server's message for the days under them. */
export function Days({ form, name, days, onChange, legend = 'Days' }) {
  const error = form.errors.fields[name];
  const id = `${name.replace(/\W/g, '-')}-error`;
  const toggle = (day) => onChange(days.includes(day) ? days.filter((one) => one !== day) : [...days, day]);
  return html`<fieldset class=${`days${error ? ' invalid' : ''}`} aria-describedby=${error ? id : undefined}>
    <legend>${legend}</legend>
    ${WEEKDAYS.map((day) => html`<label key=${day} class="day"><input type="checkbox" checked=${days.includes(day)}
      aria-invalid=${error ? 'true' : undefined} onChange=${() => toggle(day)} /> ${words(day)}</label>`)}
    ${error && html`<p class="field-error" id=${id}>${error}</p>`}
  </fieldset>`;
}

/** One phase's start, load balancing, minimum share of hosts, capacity threshold and spare hosts. */
function PhaseFields({ form, prefix, phase, hosts }) {
  const minimum = form.values[`${prefix}.minimumHostsPercent`];
  const least = Number.isFinite(minimum) && hosts ? Math.ceil((minimum * hosts) / 100) : null;
  const atLeast = least === null ? null : least ? `At least ${least} of ${plural(hosts, 'host')} running.` : 'No minimum: hosts run as sessions need them.';
  return html`<fieldset class="phase-fields">
    <legend><span class=${`swatch phase-swatch-${phase}`} aria-hidden="true"></span>${PHASE_WORDS[phase]}</legend>
    <${Field} form=${form} name=${`${prefix}.start`} label="Starts at" type="time" required />
    <${Field} form=${form} name=${`${prefix}.loadBalancing`} label="Load balancing" type="select"
      options=${LOAD_BALANCING.map((value) => ({ value, label: BALANCING_WORDS[value] }))} />
    <${Field} form=${form} name=${`${prefix}.minimumHostsPercent`} label="Minimum hosts (%)" type="number" required hint=${atLeast} />
    <${Field} form=${form} name=${`${prefix}.capacityThresholdPercent`} label="Capacity threshold (%)" type="number" required />
    <${Field} form=${form} name=${`${prefix}.bufferPercent`} label="Spare hosts (%)" type="number" />
  </fieldset>`;
}

function WeekdaySet({ form, index, set, hosts, onDays, onRemove }) {
  const prefix = `weekdaySets.${index}`;
  const notify = set.rampDown.logOff.policy === 'notifyThenLogOff';
  const message = form.values[`${prefix}.rampDown.logOff.message`];
  return html`<fieldset class="weekday-set">
    <legend>Weekday set ${index + 1}</legend>
    <${Days} form=${form} name=${`${prefix}.days`} days=${set.days} onChange=${onDays} />
    <div class="phase-grid">
      ${SCHEDULE_PHASES.map((phase) => html`<${PhaseFields} key=${phase} form=${form} prefix=${`${prefix}.${phase}`} phase=${phase} hosts=${hosts} />`)}
    </div>
    <fieldset class="log-off">
      <legend>Ramp-down: the users of a host it drains</legend>
      <${Field} form=${form} name=${`${prefix}.rampDown.logOff.policy`} label="Log-off policy" type="select"
        options=${Object.entries(POLICY_WORDS).map(([value, label]) => ({ value, label }))}
        hint="A host with users is drained (no new sessions) and deallocated once they are gone." />
      ${notify && html`<${Field} form=${form} name=${`${prefix}.rampDown.logOff.delayMinutes`} label="Log off after (minutes)" type="number" required
          hint=${`${span(LOG_OFF_RANGES.delayMinutes)} minutes after the message, never sooner.`} />
        <${Field} form=${form} name=${`${prefix}.rampDown.logOff.message`} label="Message" type="textarea" rows="2" required
          maxLength=${LOG_OFF_MAX_LENGTHS.message} hint=${`What the users see. ${lengthNote(message, LOG_OFF_MAX_LENGTHS.message)}.`} />`}
    </fieldset>
    <button type="button" class="button subtle" onClick=${onRemove}>Remove weekday set ${index + 1}</button>
  </fieldset>`;
}

function Dates({ form, dates, onAdd, onRemove }) {
  return html`<section class="card wide" aria-labelledby="dates-heading">
    <h2 id="dates-heading">Holidays and other dates</h2>
    <p class="muted">A date runs in one phase from midnight to midnight: off-peak unless you choose another.</p>
    ${dates.length === 0 && html`<p>No dates.</p>`}
    ${dates.map((_, index) => html`<fieldset key=${index} class="date-row">
      <legend>Date ${index + 1}</legend>
      <${Field} form=${form} name=${`exceptions.${index}.date`} label="Date" type="date" required />
      <${Field} form=${form} name=${`exceptions.${index}.name`} label="Name" placeholder="Christmas" />
      <${Field} form=${form} name=${`exceptions.${index}.phase`} label="Phase all day" type="select"
        options=${SCHEDULE_PHASES.map((value) => ({ value, label: PHASE_WORDS[value] }))} />
      <button type="button" class="button subtle" onClick=${() => onRemove(index)}>Remove date ${index + 1}</button>
    </fieldset>`)}
    <button type="button" class="button secondary" onClick=${onAdd}>Add a date</button>
  </section>`;
}

/** The replay's answer: the totals in words and as a table, the chart, and every hour. The heading takes the focus. */
function Replay({ replay, timeZone }) {
  const heading = useRef(null);
  useEffect(() => { heading.current?.focus(); }, [replay]);
  const source = replay.source === 'loadCurve' ? 'the load curve you gave' : 'the sessions recorded in the last 14 days';
  return html`<section class="card wide replay" aria-labelledby="replay-heading">
    <h2 id="replay-heading" ref=${heading} tabindex="-1">Tried: the proposed schedule beside the current one</h2>
    <p>Replayed over ${source} on ${plural(replay.sessionHosts, 'session host')} of ${replay.maxSessionsPerHost} sessions, every ${replay.stepMinutes} minutes
      (a host takes sessions ${replay.startDelayMinutes} minutes after it starts). Nothing is saved.</p>
    <p class="replay-summary"><strong>${replaySummary(replay)}</strong></p>
    <${ReplayTotals} replay=${replay} />
    <${ReplayChart} replay=${replay} timeZone=${timeZone} />
    <${ReplayHours} replay=${replay} timeZone=${timeZone} />
  </section>`;
}

function Editor({ tenantId, groupId, saved, hosts, perHost, onNotice }) {
  const [draft, setDraft] = useState(() => draftOf(saved));
  const [curve, setCurve] = useState('');
  const [replay, setReplay] = useState(null); // {answer, timeZone}
  const known = fieldNames(draft);
  const form = useForm({}, known);
  const mayEdit = can('setSpotGroupSchedule', tenantId);
  const view = {
    values: { ...flatten(draft), loadCurve: curve },
    set: (name, value) => (name === 'loadCurve' ? setCurve(value) : setDraft((old) => setAt(old, name, value))),
    errors: form.errors,
  };
  const layout = weekLayout(draft);
  const change = (update) => setDraft((old) => update(old));
  const addSet = () => change((old) => ({ ...old, weekdaySets: [...old.weekdaySets, newWeekdaySet(old.weekdaySets)] }));
  const removeSet = (index) => change((old) => ({ ...old, weekdaySets: old.weekdaySets.filter((_, at) => at !== index) }));
  const addDate = () => change((old) => ({ ...old, exceptions: [...old.exceptions, { date: '', name: '', phase: 'offPeak' }] }));
  const removeDate = (index) => change((old) => ({ ...old, exceptions: old.exceptions.filter((_, at) => at !== index) }));

  const tryIt = async () => {
    form.clear();
    const parsed = parseLoadCurve(curve);
    if (parsed.errors.length) {
      form.fail({ message: 'The load curve cannot be read.', details: parsed.errors.map((message) => ({ target: 'loadCurve', message })) });
      return;
    }
    try {
      const body = { ...scheduleBody(draft), ...(parsed.points.length ? { loadCurve: parsed.points } : {}) };
      setReplay({ answer: await replaySchedule(tenantId, groupId, body), timeZone: draft.timeZone });
    } catch (error) {
      setReplay(null);
      form.fail(atFields(error, known, parsed.lines));
    }
  };
  const save = async () => {
    form.clear();
    try {
      await saveSchedule(tenantId, groupId, scheduleBody(draft), saved.etag);
      onNotice({ kind: 'success', text: 'Schedule saved: the next optimization, within 5 minutes, follows it.' });
    } catch (error) {
      if (error.status === 412) {
        onNotice({ kind: 'warning', text: 'Someone changed this schedule since the page read it: the page now shows theirs. Make your change again and save.' });
        return;
      }
      form.fail(atFields(error, known));
    }
  };
  const reset = async () => {
    const question = 'Remove this schedule? The built-in rule holds again: hosts start as sessions fill them, with 10% spare, and idle ones are deallocated.';
    if (!(await confirm(question, { title: 'Back to the default?', confirmLabel: 'Remove the schedule' }))) return;
    try {
      await removeSchedule(tenantId, groupId, saved.etag);
      onNotice({ kind: 'success', text: 'The schedule is removed: the built-in rule runs again.' });
    } catch (error) {
      form.fail(error);
    }
  };
  const sample = () => {
    const monday = new Date();
    monday.setUTCDate(monday.getUTCDate() + ((8 - monday.getUTCDay()) % 7 || 7));
    // a day that fills most of the group: the schedules differ in when they start hosts, not in whether they can
    setCurve(sampleDay(monday.toISOString().slice(0, 10), Math.max(1, Math.round(hosts * perHost * 0.8))));
  };

  return html`<form class="schedule-editor" onSubmit=${(event) => { event.preventDefault(); if (mayEdit) save(); }} aria-label="Schedule">
    <fieldset class="plain" disabled=${!mayEdit}>
    <section class="card" aria-labelledby="zone-heading">
      <h2 id="zone-heading">Status and time zone</h2>
      <p>${saved.isDefault ? 'No schedule is saved: the built-in rule runs at every hour (hosts start as sessions fill them, 10% spare).'
        : `Saved ${dateTime(saved.lastModifiedDateTime)}. The optimization follows it every 5 minutes.`}</p>
      <${ZonePicker} form=${view} name="timeZone" label="Time zone" required
        hint="Type part of a place's name, or press the down arrow for the list (this browser's zone first): every start and date below is in it, daylight saving included." />
    </section>
    <section class="card wide" aria-labelledby="week-heading">
      <h2 id="week-heading">The week</h2>
      <p class="muted">Drawn from the fields below as you change them. A day in no weekday set goes on in the off-peak of the last day in one.</p>
      ${layout.problems.length > 0 && html`<div class="banner warning"><strong>The server will refuse this</strong>
        ${layout.problems.map((problem) => html`<p key=${problem.target}>${problem.message}</p>`)}</div>`}
      <${WeekChart} layout=${layout} timeZone=${draft.timeZone || 'UTC'} />
    </section>
    <section class="card wide" aria-labelledby="sets-heading">
      <h2 id="sets-heading">Weekday sets</h2>
      <p class="muted">Each phase runs from its start until the next one starts. The running hosts stay at least the minimum share of the
        group's ${plural(hosts, 'host')}; the next host starts once sessions reach the capacity threshold of the running hosts' sessions; spare
        hosts are kept on beyond those the sessions fill. Breadth-first load balancing spreads users over the hosts; depth-first fills one
        host before the next, so the others can stop.</p>
      ${draft.weekdaySets.length === 0 && html`<p>No weekday set: the built-in rule runs at every hour. Add one to set working hours.</p>`}
      ${draft.weekdaySets.map((set, index) => html`<${WeekdaySet} key=${index} form=${view} index=${index} set=${set} hosts=${hosts}
        onDays=${(days) => view.set(`weekdaySets.${index}.days`, days)} onRemove=${() => removeSet(index)} />`)}
      ${draft.weekdaySets.length < MAX_SETS && html`<button type="button" class="button secondary" onClick=${addSet}>Add a weekday set</button>`}
    </section>
    <${Dates} form=${view} dates=${draft.exceptions} onAdd=${addDate} onRemove=${removeDate} />
    <section class="card" aria-labelledby="staging-heading">
      <h2 id="staging-heading">Pre-staging</h2>
      <${Field} form=${view} name="preStaging.enabled" label="Start hosts before each ramp-up" type="checkbox"
        hint="So the first users find hosts already started." />
      ${draft.preStaging.enabled && html`<div class="inline-fields">
        <${Field} form=${view} name="preStaging.hosts" label="Hosts" type="number" required hint=${`${span(PRE_STAGING_RANGES.hosts)}; the group has ${plural(hosts, 'host')}.`} />
        <${Field} form=${view} name="preStaging.minutesBefore" label="Minutes before ramp-up" type="number" required hint=${`${span(PRE_STAGING_RANGES.minutesBefore)}.`} />
      </div>`}
    </section>
    </fieldset>
    ${can('replaySpotGroupSchedule', tenantId) && html`<section class="card" aria-labelledby="try-heading">
      <h2 id="try-heading">Try it before saving</h2>
      <p class="muted">Replays this schedule and the current one over the same load, every 5 minutes, on the group's hosts: host-hours, the most
        hosts running and the sign-ins that would find no free session.</p>
      <${Field} form=${view} name="loadCurve" label="Load curve (optional)" type="textarea" rows="4"
        placeholder=${'2026-11-02T08:00Z 12\n2026-11-02T09:00Z 20'}
        hint="Empty: the sessions recorded in the last 14 days. Otherwise a point a line: a time with its offset and the users signed in from then on; 14 days at most." />
      <button type="button" class="button subtle" onClick=${sample}>Fill in a sample working day</button>
    </section>`}
    <${ErrorBanner} error=${form.errors.general} title="Not done" />
    <div class="wizard-actions">
      ${mayEdit && html`<${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">Save schedule</${ActionButton}>`}
      ${can('replaySpotGroupSchedule', tenantId) && html`<${ActionButton} onClick=${tryIt} busyLabel="Replaying…">Try it</${ActionButton}>`}
      ${can('deleteSpotGroupSchedule', tenantId) && !saved.isDefault && html`<${ActionButton} kind="subtle" onClick=${reset} busyLabel="Removing…">Back to the default</${ActionButton}>`}
    </div>
    ${replay && html`<${Replay} replay=${replay.answer} timeZone=${replay.timeZone} />`}
  </form>`;
}

export function SpotGroupSchedulePage({ params }) {
  const { tenantId, spotGroupId } = params;
  const group = useResource(spotGroup(tenantId, spotGroupId));
  const read = useResource(spotGroupSchedule(tenantId, spotGroupId));
  const [notice, setNotice] = useState(null);
  const back = href('/tenants/:tenantId/spotGroups/:spotGroupId', { tenantId, spotGroupId });
  const name = group.data?.group?.friendlyName;
  const title = name ? `Schedule of ${name}` : 'Schedule';
  if (group.data?.gone) {
    return html`<${Page} title="Spot Group not found"><p>There is no such Spot Group in this tenant: it was deleted, or the address is wrong.</p>
      <p><a href=${href('/tenants/:tenantId/spotGroups', { tenantId })}>All Spot Groups</a></p></${Page}>`;
  }
  const schedule = read.data;
  if (schedule?.notPooled) {
    return html`<${Page} title=${title}>
      <p><a href=${back}>${name || 'The Spot Group'}</a></p>
      <${Notice}>Schedules are for pooled groups, whose users share hosts. This group is personal: each host is one user's and runs when they use it.</${Notice}>
    </${Page}>`;
  }
  const hosts = group.data?.hosts?.length || 0;
  return html`<${Page} title=${title} subtitle="When the group's session hosts run: phases by weekday, holidays and pre-staging, in the group's time zone.">
    <p><a href=${back}>${name || 'The Spot Group'}</a></p>
    ${notice && html`<${Notice} kind=${notice.kind}>${notice.text}</${Notice}>`}
    <${ErrorBanner} error=${read.error} title="The schedule could not be read" />
    ${!schedule ? !read.error && html`<p class="muted">Loading…</p>`
      : html`<${Editor} key=${schedule.etag || 'default'} tenantId=${tenantId} groupId=${spotGroupId} saved=${schedule} hosts=${hosts}
        perHost=${group.data?.group?.maxSessionsPerHost || 1} onNotice=${setNotice} />`}
  </${Page}>`;
}
