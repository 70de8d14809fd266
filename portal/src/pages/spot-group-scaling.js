// A pooled Spot Group's scaling: its fieldset (the wizard's and the edit form's), the replay's figures for those choices, hosts by priority and evictions per day.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ActionButton, ErrorBanner, Field, ScrollRegion } from '../ui.js';
import { plural, span } from '../lib/format.js';
import { draftOf, scheduleBody } from '../lib/schedule.js';
import { EVICTION_POLICIES, SCALING_ON, evictionsPerDay, hostsByPriority, scalingBody, scalingField } from '../lib/scaling.js';
import { dayLabeller } from '../lib/usage.js';
import { useResource } from '../models/resource.js';
import { spotGroupEvictions } from '../models/spot-groups.js';
import { replaySchedule, spotGroupSchedule } from '../models/spot-schedules.js';
import { HOST_SCALING_RANGES } from '../vocabulary.js';

const POLICY_WORDS = {
  Deallocate: 'Deallocate: Azure stops the VM and keeps its disk (still paid for); it can start again',
  Delete: 'Delete: the VM and its disk go; a new host is made in its place',
};
const range = (name) => span(HOST_SCALING_RANGES[name]);
const empty = (name) => `empty: ${HOST_SCALING_RANGES[name].default}`;

/**
 * Base, buffer, ceiling, the delay before an unneeded host is deleted, and Spot VMs. `bound`: the hosts the licenses
 * fill (the ceiling when none is typed). `fixed`: the group scales already, which cannot be undone, so there is no
 * switch to turn it off.
 */
export function ScalingFields({ form, bound, fixed = false }) {
  const on = fixed || form.values[SCALING_ON];
  const bounded = bound > 0 ? `${plural(bound, 'host')}: the license bound` : 'the license bound';
  return html`<fieldset class="scaling-fields">
    <legend>Scaling</legend>
    ${fixed ? html`<p class="muted">The hosts are made and deleted with the load, between the base and the ceiling. To keep a fixed number,
        set the base to the ceiling.</p>`
      : html`<${Field} form=${form} name=${SCALING_ON} label="Make and delete hosts with the load" type="checkbox"
        hint="Off: a fixed set of hosts, enough for every licensed user, started and deallocated as sessions need them. On: hosts are made when more users come and deleted when they stay unneeded, so idle hosts cost neither compute nor disk." />`}
    ${on && html`<${Field} form=${form} name=${scalingField('baseHosts')} label="Base hosts" type="number"
        placeholder=${String(HOST_SCALING_RANGES.baseHosts.default)}
        hint=${`Hosts that always exist, even with nobody signed in: they are never deleted. ${range('baseHosts')}; ${empty('baseHosts')}.`} />
      <${Field} form=${form} name=${scalingField('bufferSessions')} label="Buffer sessions" type="number"
        placeholder=${String(HOST_SCALING_RANGES.bufferSessions.default)}
        hint=${`Free sessions kept ready beyond those in use. A new host takes minutes to be made: the buffer is what lets the next users sign in at once. ${range('bufferSessions')}; ${empty('bufferSessions')}.`} />
      <${Field} form=${form} name=${scalingField('maxHosts')} label="Ceiling (most hosts)" type="number" placeholder=${bounded}
        hint=${`The most hosts the group may have, at most the license bound (the licenses at the sessions per host: a host more could hold no licensed user). Empty: ${bounded}.`} />
      <${Field} form=${form} name=${scalingField('deleteAfterMinutes')} label="Delete after (minutes)" type="number"
        placeholder=${String(HOST_SCALING_RANGES.deleteAfterMinutes.default)}
        hint=${`A host above the base that stays deallocated, or drained with nobody on it, this long is deleted with its disk. ${range('deleteAfterMinutes')}; ${empty('deleteAfterMinutes')}.`} />
      <${Field} form=${form} name=${scalingField('spotSharePercent')} label="Spot share (%)" type="number"
        placeholder=${String(HOST_SCALING_RANGES.spotSharePercent.default)}
        hint=${`The share of the hosts above the base made as Azure Spot VMs, at a fraction of the price. Azure may take one back when it needs the capacity, with 30 seconds' notice: its users get your message at once and a replacement is started. The base is never on Spot. ${range('spotSharePercent')}; ${empty('spotSharePercent')}, no Spot VMs.`} />
      <${Field} form=${form} name=${scalingField('spotEvictionPolicy')} label="When Azure evicts a Spot host" type="select"
        options=${EVICTION_POLICIES.map((value) => ({ value, label: POLICY_WORDS[value] }))}
        hint="Either way the host stops taking sessions and a replacement is started." />
      <${Field} form=${form} name=${scalingField('spotMaxPrice')} label="Spot max price (US dollars an hour)" placeholder="Up to the on-demand price"
        hint="Empty: Azure evicts only when it needs the capacity, never for the price, which stays below the on-demand price. A price such as 0.05: Azure also evicts a host once the Spot price rises above it." />`}
  </fieldset>`;
}

const FIGURES = [
  ['hostHours', 'Host-hours'],
  ['diskHours', 'Disk-hours'],
  ['failedSignIns', 'Sign-ins with no free session'],
  ['hostsCreated', 'Hosts created'],
  ['hostsDeleted', 'Hosts deleted'],
  ['peakHostsRunning', 'Most hosts running'],
];
const figure = (value) => (typeof value === 'number' ? Number(value.toFixed(2)) : '—');

/** The replay's totals for the form's scaling beside the group as it is: only the figures the service gives. */
export function ScalingFigures({ replay }) {
  const rows = FIGURES.filter(([name]) => name in replay.proposed || name in replay.current);
  const source = replay.source === 'loadCurve' ? 'the load curve given' : 'the sessions recorded in the last 14 days';
  return html`<${ScrollRegion} label="The replay's figures"><table class="scaling-figures">
    <caption>Replayed over ${source} (nothing is saved)</caption>
    <thead><tr><th scope="col">Figure</th><th scope="col" class="number">These choices</th><th scope="col" class="number">As the group is</th></tr></thead>
    <tbody>${rows.map(([name, label]) => html`<tr key=${name}><th scope="row">${label}</th>
      <td class="number">${figure(replay.proposed[name])}</td><td class="number">${figure(replay.current[name])}</td></tr>`)}</tbody>
  </table></${ScrollRegion}>`;
}

/** Try the form's scaling over the group's recorded load, under its schedule (the saved one, or the built-in rule);
 * the choices the replay refuses are shown at their fields in `form`, as a save's are. */
export function ScalingReplay({ tenantId, group, form }) {
  const schedule = useResource(spotGroupSchedule(tenantId, group.id));
  const [replay, setReplay] = useState(null);
  const [error, setError] = useState(null);
  const tryIt = async () => {
    setError(null);
    form.clear();
    try {
      const scaling = scalingBody({ ...form.values, [SCALING_ON]: true, userType: 'pooled' });
      setReplay(await replaySchedule(tenantId, group.id, { ...scheduleBody(draftOf(schedule.data)), scaling }));
    } catch (failure) {
      setReplay(null);
      if (failure.status === 400) form.fail(failure);
      else setError(failure);
    }
  };
  return html`<section class="scaling-replay" aria-labelledby="scaling-replay-heading">
    <h3 id="scaling-replay-heading">These choices over the group's recorded load</h3>
    <p class="muted">Host-hours, disk-hours, the sign-ins that would find no free session and the hosts made and deleted, replayed every
      5 minutes over the sessions recorded in the last 14 days under the group's schedule, beside the group as it is.</p>
    <${ErrorBanner} error=${schedule.error || error} title="Not replayed" />
    <${ActionButton} onClick=${tryIt} busyLabel="Replaying…" disabled=${!schedule.data}>Try these choices</${ActionButton}>
    ${replay && html`<${ScalingFigures} replay=${replay} />`}
  </section>`;
}

/** Regular and Spot hosts counted, and those made on demand because Azure had no Spot capacity. */
export function HostsByPriority({ hosts }) {
  const counts = hostsByPriority(hosts);
  return html`<ul class="tiles" aria-label="Session hosts by priority">
    <li class="tile"><span class="tile-value">${counts.Regular}</span> Regular</li>
    <li class="tile"><span class="tile-value">${counts.Spot}</span> Spot</li>
    ${counts.refused > 0 && html`<li class="tile"><span class="tile-value">${counts.refused}</span> on demand: no Spot capacity</li>`}
  </ul>`;
}

const seconds = (value) => (value === null ? '—' : value < 120 ? `${value} s` : `${Math.round(value / 60)} min`);

/** Evictions of the last 14 days, a row a day; nothing at all where the service keeps no evictions list. */
export function Evictions({ tenantId, groupId }) {
  const read = useResource(spotGroupEvictions(tenantId, groupId));
  if (!read.data || read.data.missing) return null;
  const days = evictionsPerDay(read.data.evictions, Date.now());
  const dayOf = dayLabeller(undefined, { dateStyle: 'medium' }); // the UTC day, as the reader writes dates
  return html`<section class="card wide" aria-labelledby="evictions-heading">
    <h2 id="evictions-heading">Evictions per day</h2>
    <p class="muted">Spot hosts Azure took back in the last 14 days (UTC days): the users on them, those told before their session ended,
      and the longest wait until a replacement took sessions.</p>
    ${days ? html`<${ScrollRegion} label="Evictions per day"><table class="evictions">
        <caption>Evictions per day, last 14 days</caption>
        <thead><tr><th scope="col">Day</th><th scope="col" class="number">Evictions</th><th scope="col" class="number">Users on them</th>
          <th scope="col" class="number">Users told</th><th scope="col" class="number">Longest to a replacement</th></tr></thead>
        <tbody>${days.map((row) => html`<tr key=${row.day}><th scope="row">${dayOf(row.day)}</th>
          <td class="number">${row.evictions}</td>
          <td class="number">${row.users}</td><td class="number">${row.usersTold}</td><td class="number">${seconds(row.slowestSeconds)}</td></tr>`)}</tbody>
      </table></${ScrollRegion}>`
    : html`<p>No evictions in the last 14 days.</p>`}
  </section>`;
}
