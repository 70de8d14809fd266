// A Spot Group's rolling image update: the form that starts one (within a maintenance window if asked), and its progress (canary first) as it runs.
import { html } from 'htm/preact';
import { can } from '../access.js';
import { ActionButton, DataTable, ErrorBanner, Failure, Field, Notice, StatusBadge, confirm, useForm } from '../ui.js';
import { newerReadyVersions, rolloutProgress } from '../lib/spot-pc.js';
import {
  WINDOW_FIELDS, rolloutBody, rolloutSummary, rolloutValues, shortestWindow, waitingText, warnedHosts, windowSummary,
} from '../lib/maintenance-window.js';
import { dateTime, plural, span } from '../lib/format.js';
import { versions as versionsOf } from '../models/image-sets.js';
import { useResource } from '../models/resource.js';
import { siteList } from '../models/sites.js';
import { cancelImageUpdate, updateSpotGroup } from '../models/spot-groups.js';
import { IMAGE_UPDATE_RUNNING, IMAGE_UPDATE_UNDER_WAY, MAINTENANCE_WINDOW_RANGES, ROLLOUT_RANGES, SPOT_GROUP_BUSY } from '../vocabulary.js';
import { Days } from './spot-group-schedule.js';
import { ZonePicker } from '../zone-picker.js';

const OUTCOME = {
  succeeded: ['success', (update) => `Every host now runs version ${update.toVersion}.`],
  rolledBack: ['error', (update) => `Rolled back: a canary host failed on version ${update.toVersion}, so the canary was rebuilt on `
    + `${update.fromVersion} and the other hosts were never touched. The group stays on ${update.fromVersion}.`],
  failed: ['error', () => 'The update stopped: some hosts may run the new version and some the old one. Look at the failed hosts below.'],
  cancelled: ['info', (update) => `Cancelled: ${plural(update.replaced, 'host')} kept version ${update.toVersion}, `
    + `${plural(update.remaining, 'host')} stayed on ${update.fromVersion}. New hosts come on ${update.fromVersion}.`],
};

// a running update is work under way (the info colour), not an outcome; a waiting one is too, until its window opens
const BADGE = { running: ['updating', 'Running'], waitingForWindow: ['waitingForWindow', 'Waiting for its window'],
  cancelling: ['updating', 'Cancelling'] };
const badge = (update) => html`<${StatusBadge} status=${BADGE[update.status]?.[0] || update.status} label=${BADGE[update.status]?.[1]} />`;

/** The newest update: from → to, its status, hosts replaced as a progress bar, the canary, and how it ended. */
function Progress({ update, hosts, tenantId, groupId, onStarted }) {
  const { replaced, total } = rolloutProgress(update);
  const outcome = OUTCOME[update.status];
  const byName = new Map(hosts.map((host) => [host.name, host]));
  const id = `image-update-${update.id}`;
  const underWay = IMAGE_UPDATE_UNDER_WAY.includes(update.status);
  const warned = underWay ? warnedHosts(hosts) : [];
  const timeWindow = update.rollout.maintenanceWindow;
  return html`<div class="image-update">
    <p><strong>Version ${update.fromVersion} → ${update.toVersion}</strong> ${badge(update)}</p>
    ${update.status === 'waitingForWindow' && html`<div class="banner info"><strong>Waiting for the maintenance window</strong>
      <p>${waitingText(update, dateTime)}</p></div>`}
    ${underWay && html`<label class="progress-label" for=${id}>${replaced} of ${plural(total, 'host')} replaced</label>
      <progress id=${id} max=${total || 1} value=${replaced}>${replaced} of ${total}</progress>`}
    ${!underWay && html`<p>${replaced} of ${plural(total, 'host')} replaced.</p>`}
    <p>Canary, replaced first: ${update.canary.length ? plural(update.canary.length, 'host') : 'none (every host in batches)'}</p>
    ${update.canary.length > 0 && html`<ul class="canary" aria-label="Canary hosts">${update.canary.map((name) => {
      const host = byName.get(name);
      return html`<li key=${name}>${name}${host ? `: ${host.status}, version ${host.imageVersion}` : ': no longer in the group'}</li>`;
    })}</ul>`}
    <p class="muted">Rollout: ${plural(update.rollout.canaryCount, 'canary host')}, then ${update.rollout.maxUnavailable} at a time;
      users get ${update.rollout.drainTimeoutMinutes} min to sign out. Started ${dateTime(update.createdDateTime)}.</p>
    ${timeWindow && html`<p>Only inside its maintenance window: ${windowSummary(timeWindow, update.rollout.notifyMinutesBefore)}</p>`}
    ${warned.length > 0 && html`<ul aria-label="Users warned of their host's drain">${warned.map((host) => html`<li key=${host.name}>
      ${host.name}: ${host.statusDetail.message}</li>`)}</ul>`}
    ${update.status === 'cancelling' && html`<div class="banner info">${update.statusDetail?.message || 'Cancelling.'}</div>`}
    ${IMAGE_UPDATE_RUNNING.includes(update.status) && can('cancelImageUpdate', tenantId)
      && html`<${CancelUpdate} update=${update} tenantId=${tenantId} groupId=${groupId} onCancelled=${onStarted} />`}
    ${outcome && html`<div class=${`banner ${outcome[0]}`}>${outcome[1](update)}
      ${update.status !== 'cancelled' && html`<${Failure} detail=${update.statusDetail} />`}</div>`}
  </div>`;
}

/** Cancel the update, once confirmed: the hosts replaced keep the new version, the others the old one. */
function CancelUpdate({ update, tenantId, groupId, onCancelled }) {
  const form = useForm({});
  const cancel = async () => {
    form.clear();
    const question = `Cancel the update to ${update.toVersion}? No more hosts are drained for it. Hosts already replaced keep `
      + `${update.toVersion}; a host being replaced now finishes first; the others stay on ${update.fromVersion}. The group is then ready again.`;
    if (!(await confirm(question, { title: 'Cancel the rolling update?', confirmLabel: 'Yes, cancel the update' }))) return;
    try {
      await cancelImageUpdate(tenantId, groupId, update.id);
      onCancelled(`The update to ${update.toVersion} is being cancelled.`);
    } catch (error) {
      if (error.status === 409) error.message = 'The update has already ended; look at it again.';
      form.fail(error);
    }
  };
  return html`<div class="actions">
    <${ErrorBanner} error=${form.errors.general} />
    <${ActionButton} onClick=${cancel} busyLabel="Cancelling…">Cancel update</${ActionButton}>
  </div>`;
}

function StartUpdate({ group, tenantId, onStarted }) {
  // a version being built shows up here once ready, without a reload
  const versions = useResource(versionsOf(tenantId, group.imageSetId));
  const site = useResource(siteList(tenantId)).data?.find((entry) => entry.id === group.siteId);
  const newer = newerReadyVersions(versions.data, group.imageVersion, site?.regionName);
  // the window's time zone starts as the admin's own
  const form = useForm(rolloutValues(Intl.DateTimeFormat().resolvedOptions().timeZone));
  const chosen = form.values.imageVersion || newer[0]?.version;
  const inWindow = form.values.inWindow;
  const start = async () => {
    form.clear();
    const rollout = rolloutBody(form.values);
    const hosts = group.sessionHostCounts?.total || 0;
    const question = `Replace all ${plural(hosts, 'session host')} of ${group.friendlyName} with version ${chosen}? `
      + `${plural(Number(rollout.canaryCount) || 0, 'canary host')} go first; if one fails, it is rebuilt on ${group.imageVersion} and the update stops. `
      + `Then ${rollout.maxUnavailable} at a time: each is drained, its users get ${rollout.drainTimeoutMinutes} minutes to sign out, and it is rebuilt.`
      + (rollout.maintenanceWindow ? ` Hosts are drained only inside the maintenance window: ${windowSummary(rollout.maintenanceWindow, rollout.notifyMinutesBefore)}` : '');
    if (!(await confirm(question, { title: 'Start a rolling image update?', confirmLabel: 'Start update' }))) return;
    try {
      await updateSpotGroup(tenantId, group, { imageVersion: chosen, rollout });
      onStarted(`Rolling update to version ${chosen} started.`);
    } catch (error) {
      if (error.status === 412) error.message = 'The group changed since the page read it; look at it again and retry.';
      form.fail(error);
    }
  };
  if (!versions.data) return html`<${ErrorBanner} error=${versions.error} />`;
  if (!newer.length) {
    return html`<p class="muted">No newer ready version of the image set${site ? ` in ${site.regionName}` : ''}: add a version to the image set,
      and once it is ready it can be rolled out here.</p>`;
  }
  return html`<form onSubmit=${(event) => { event.preventDefault(); start(); }} aria-labelledby="start-update-heading">
    <h3 id="start-update-heading">Start a rolling update</h3>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${{ ...form, values: { ...form.values, imageVersion: chosen } }} name="imageVersion" label="New image version" type="select" required
      options=${newer.map((version) => ({ value: version.version, label: `${version.version}${version.notes ? `: ${version.notes}` : ''}` }))}
      hint=${`The group runs ${group.imageVersion}. Only newer ready versions replicated to its site's region are offered.`} />
    <fieldset>
      <legend>Rollout</legend>
      <${Field} form=${form} name="rollout.canaryCount" label="Canary hosts" type="number"
        hint=${`${span(ROLLOUT_RANGES.canaryCount)} hosts replaced first; if one fails, they go back to the current version and the update stops.`} />
      <${Field} form=${form} name="rollout.maxUnavailable" label="Hosts replaced at a time" type="number" hint=${`${span(ROLLOUT_RANGES.maxUnavailable)}, after the canary.`} />
      <${Field} form=${form} name="rollout.drainTimeoutMinutes" label="Drain timeout (minutes)" type="number"
        hint=${`${span(ROLLOUT_RANGES.drainTimeoutMinutes)}: how long a host's users have to sign out before it is rebuilt.`} />
    </fieldset>
    <${Field} form=${form} name="inWindow" label="Only inside a maintenance window" type="checkbox"
      hint="Drain hosts only at the times you choose, and warn their users first. Without a window, hosts are drained as they are reached." />
    ${inWindow && html`<fieldset>
      <legend>Maintenance window</legend>
      <${Days} form=${form} name=${WINDOW_FIELDS.days} days=${form.values[WINDOW_FIELDS.days]} legend="Days of the week"
        onChange=${(days) => form.set(WINDOW_FIELDS.days, days)} />
      <${Field} form=${form} name=${WINDOW_FIELDS.start} label="Starts at" type="time" hint="When the window opens on each of its days." />
      <${Field} form=${form} name=${WINDOW_FIELDS.duration} label="Length (minutes)" type="number"
        hint=${`${span(MAINTENANCE_WINDOW_RANGES.durationMinutes)}, and at least the warning and the drain timeout together (${shortestWindow(form.values)} minutes now), so a host's users are warned, drained and signed out inside it. It may run past midnight.`} />
      <${ZonePicker} form=${form} name=${WINDOW_FIELDS.timeZone} label="Time zone"
        hint="Type part of a place's name, or press the down arrow for the list (this browser's zone first): the start is in it, daylight saving included." />
      <${Field} form=${form} name=${WINDOW_FIELDS.notify} label="Warn users (minutes before)" type="number"
        hint=${`${span(ROLLOUT_RANGES.notifyMinutesBefore)}; 0: no message. Each user on a host is told this long before it is drained, before the window opens if need be.`} />
      <p class="muted">${rolloutSummary(form.values)}</p>
    </fieldset>`}
    <${ActionButton} type="submit" kind="primary" onClick=${start} busyLabel="Starting…">Start rolling update</${ActionButton}>
  </form>`;
}

/** The section: the newest update's progress, the earlier ones, and (when the group is idle) the form. */
export function ImageUpdates({ group, updates, hosts, tenantId, onStarted }) {
  const [latest, ...earlier] = updates || [];
  const columns = [
    { label: 'From → to', render: (update) => `${update.fromVersion} → ${update.toVersion}` },
    { label: 'Status', render: badge },
    { label: 'Replaced', class: 'number', render: (update) => update.replaced },
    { label: 'Canary', render: (update) => update.canary.join(', ') || '—' },
    { label: 'Started', render: (update) => dateTime(update.createdDateTime) },
  ];
  const busy = SPOT_GROUP_BUSY.includes(group.status);
  return html`<section class="card wide" aria-labelledby="updates-heading">
    <h2 id="updates-heading">Rolling image update</h2>
    <p class="muted">Rebuilds every running host on a newer version of the image set, the canary hosts first.</p>
    ${latest ? html`<${Progress} update=${latest} hosts=${hosts || []} tenantId=${tenantId} groupId=${group.id} onStarted=${onStarted} />`
    : html`<p>No image update yet.</p>`}
    ${earlier.length > 0 && html`<${DataTable} caption="Earlier image updates" columns=${columns} rows=${earlier} />`}
    ${can('updateSpotGroup', tenantId) && (busy
      ? html`<${Notice}>A new update can start once the group is ready (it is ${group.status} now).</${Notice}>`
      : html`<${StartUpdate} key=${group.imageVersion} group=${group} tenantId=${tenantId} onStarted=${onStarted} />`)}
  </section>`;
}
