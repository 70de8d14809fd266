// One Spot Group: its status and session hosts live (followed while Azure works), its decisions, edits, image updates and delete.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { can } from '../access.js';
import { GroupName, GroupPicker } from '../groups.js';
import { href } from '../router.js';
import { ActionButton, AsOf, DataTable, Details, ErrorBanner, Failure, Field, Notice, Page, StatusBadge, confirm, useForm } from '../ui.js';
import { deleteQuestion, followedByAzure, hostCount, licenseHolders, notesPatch, savedMessage, spotGroupPatch } from '../lib/spot-pc.js';
import { personalPowerText, policyValues, sessionLimitsText } from '../lib/session-policies.js';
import { dateTime, plural, span, words } from '../lib/format.js';
import { firstGroups } from '../models/directory.js';
import { imageSet as imageSetOf } from '../models/image-sets.js';
import { useResource } from '../models/resource.js';
import { siteList } from '../models/sites.js';
import { deleteSpotGroup, spotGroup, spotGroupUsers, updateSpotGroup } from '../models/spot-groups.js';
import { SpotGroupCosts } from './cost-parts.js';
import { Decisions } from './spot-group-decisions.js';
import { PersonalPowerFields, SessionLimitFields } from './spot-group-policies.js';
import { Evictions, HostsByPriority, ScalingFields, ScalingReplay } from './spot-group-scaling.js';
import { SCALING_ON, scalingText, scalingValues } from '../lib/scaling.js';
import { IMAGE_UPDATE_UNDER_WAY, SESSION_HOST_BUSY, SPOT_GROUP_BUSY, SPOT_GROUP_DELETE_RANGES } from '../vocabulary.js';

// the server's default for the query parameter, which the document says only in words (not yet in the vocabulary)
const DRAIN_DEFAULT_MINUTES = 60;
import { ImageUpdates } from './spot-group-update.js';
import { RegionName } from '../catalog-names.js';

const WORK = {
  deploying: 'Deploying: the host pool, its desktop application group and workspace are made, then every session host in parallel.',
  updating: 'Updating: Azure is being brought to your change; hosts may be added, reconfigured, or drained and removed.',
  deleting: 'Deleting: each host is drained, its users given the drain timeout to sign out, then removed; then the host pool goes.',
};

function Status({ group, hosts }) {
  const counts = group.sessionHostCounts || {};
  const settled = (hosts || []).filter((host) => !SESSION_HOST_BUSY.includes(host.status)).length;
  const total = hosts?.length || 0;
  return html`<section class="card wide" aria-labelledby="status-heading">
    <div class="section-header"><h2 id="status-heading">Status</h2> <${StatusBadge} status=${group.status} /></div>
    ${WORK[group.status] && html`<p>${WORK[group.status]}</p>`}
    ${group.status === 'deploying' && total > 0 && html`<label class="progress-label" for="hosts-progress">${settled} of ${plural(total, 'session host')} deployed</label>
      <progress id="hosts-progress" max=${total} value=${settled}>${settled} of ${total}</progress>`}
    ${group.statusDetail && html`<div class=${`banner ${group.status === 'failed' ? 'error' : 'warning'}`}>
      <strong>${group.status === 'failed' ? 'The Spot Group failed' : 'The Spot Group works, with a warning'}</strong>
      <${Failure} detail=${group.statusDetail} /></div>`}
    <ul class="tiles" aria-label="Session hosts by state">
      ${['total', 'running', 'stopped', 'draining', 'failed'].map((name) => html`<li class=${`tile${name === 'failed' && counts[name] ? ' attention' : ''}`}>
        <span class="tile-value">${counts[name] || 0}</span> ${name === 'total' ? (counts.total === 1 ? 'session host' : 'session hosts') : name}</li>`)}
      <li class="tile"><span class="tile-value">${group.assignedUserCount}</span> of ${plural(group.licenseCount, 'license')} assigned</li>
    </ul>
  </section>`;
}

function SessionHosts({ hosts, canary, tenantId, spotGroupId, personal }) {
  const sessionsOf = (host) => href('/tenants/:tenantId/spotGroups/:spotGroupId/sessions', { tenantId, spotGroupId }, { host: host.name });
  // a host's sessions are a link to them, for a role that may read them
  const sessions = (host) => (host.sessionCount && can('listSessionHostSessions', tenantId)
    ? html`<a class="count" href=${sessionsOf(host)} aria-label=${`${plural(host.sessionCount, 'session')} on ${host.name}`}>${host.sessionCount}</a>` : host.sessionCount);
  const columns = [
    { label: 'Name', render: (host) => html`${host.name}${canary.has(host.name) ? html` <span class="badge">Canary</span>` : null}` },
    { label: 'Status', render: (host) => html`<${StatusBadge} status=${host.status} /><${Failure} detail=${host.statusDetail} compact />` },
    { label: 'Power state', render: (host) => words(host.powerState) },
    { label: 'Image version', key: 'imageVersion' },
    { label: 'Assigned user', render: (host) => host.assignedUserId || '—' },
    { label: 'Sessions', class: 'number', render: sessions },
    { label: 'New sessions', render: (host) => (host.allowNewSession ? 'Allowed' : 'Drain mode') },
    { label: 'Hours run', class: 'number', render: (host) => (host.hoursRun === null || host.hoursRun === undefined ? '—' : host.hoursRun.toFixed(1)) },
    // a pooled host may be an Azure Spot VM; one made on demand for want of Spot capacity is tried as Spot again
    !personal && { label: 'Priority', render: (host) => (host.spotRefused ? 'Regular (no Spot capacity)' : host.priority || 'Regular') },
    // a personal host's user as the power rules last saw them: disconnected or signed out since then
    personal && { label: 'User away since', render: (host) => (host.userAwaySince ? dateTime(host.userAwaySince) : '—') },
  ].filter(Boolean);
  return html`<section class="card wide" aria-labelledby="hosts-heading">
    <h2 id="hosts-heading">Session hosts</h2>
    <p class="muted">Status, power state and sessions are read live from the host pool; a host's session count leads to its sessions.
      ${personal ? ' User away since: when the power rules first saw the host\'s user disconnected or signed out (checked every 5 minutes).'
        : ' Priority: Regular hosts are on demand; Spot hosts cost a fraction of that, and Azure may evict them.'}</p>
    ${!personal && html`<${HostsByPriority} hosts=${hosts} />`}
    <${DataTable} caption="Session hosts" columns=${columns} rows=${hosts} rowKey=${(host) => host.name} empty="No session hosts." />
  </section>`;
}

const ACCESS = { granted: 'Has the desktop', waiting: 'Waiting for a license' };

/** Who holds the group's licenses and who waits, in the order the licenses go. */
function UsersAndLicenses({ tenantId, group }) {
  const store = spotGroupUsers(tenantId, group.id);
  const read = useResource(store);
  // the holders change when Azure has followed a new count or new groups: read them again when the group says so
  const holding = `${group.assignedUserCount} ${group.licenseCount} ${group.groupIds}`;
  const seen = useRef(holding);
  useEffect(() => {
    if (seen.current !== holding) store.invalidate();
    seen.current = holding;
  }, [holding]);
  const members = read.data && licenseHolders(read.data, group.licenseCount);
  const columns = [
    { label: 'User', render: (member) => member.displayName || member.id },
    { label: 'Access', render: (member) => ACCESS[member.access] },
  ];
  return html`<section class="card wide" aria-labelledby="users-heading">
    <h2 id="users-heading">Users and licenses</h2>
    <p class="muted">The members of the group's Entra groups, in the groups' order. Each license gives one of them the desktop, kept while
      they are members (a lower count takes it from the last holders); a license freed, or a count raised, goes to the first one waiting.
      Until the host pool is made, everyone waits.</p>
    <${ErrorBanner} error=${read.error} title="The users could not be read" />
    ${members && html`<p>${members.summary}</p>`}
    ${(members || !read.error) && html`<${DataTable} caption="Users and their access" columns=${columns} rows=${members?.rows}
      empty="Nobody: the group's Entra groups have no members." />`}
    ${members?.more > 0 && html`<p class="muted">The first ${members.rows.length} of ${read.data.length} members are shown; ${members.more} more
      are in the groups.</p>`}
  </section>`;
}

/** The group's other pages: its schedule (pooled groups only) and its users' sessions. */
function Areas({ group, tenantId }) {
  const params = { tenantId, spotGroupId: group.id };
  const links = [
    group.userType === 'pooled' && can('getSpotGroupSchedule', tenantId)
      && ['Schedule', '/tenants/:tenantId/spotGroups/:spotGroupId/schedule', 'When the hosts run, tried before it is saved'],
    can('listSpotGroupSessions', tenantId) && ['Sessions', '/tenants/:tenantId/spotGroups/:spotGroupId/sessions', 'Who is signed in: message, disconnect, log off'],
  ].filter(Boolean);
  if (!links.length) return null;
  return html`<nav class="area-links" aria-label="This Spot Group">
    <ul>${links.map(([label, pattern, what]) => html`<li key=${label}><a class="button secondary" href=${href(pattern, params)}>${label}</a>
      <span class="muted">${what}</span></li>`)}</ul>
  </nav>`;
}

const nameIn = (known, id) => known?.find((entry) => entry.id === id)?.displayName || id;

/** An edit form's save: the merge patch `patchOf` makes of the form (nothing changed: said at the form), sent with
 * the group's etag; `done(patch, answer)` once saved, each refusal at its field. */
function saver(group, tenantId, form, patchOf, done) {
  return async () => {
    form.clear();
    const patch = patchOf(group, form.values);
    if (!Object.keys(patch).length) {
      form.fail({ message: 'Nothing changed: edit a field first.', details: [] });
      return;
    }
    try {
      done(patch, await updateSpotGroup(tenantId, group, patch));
    } catch (error) {
      if (error.status === 412) error.message = 'Someone changed this Spot Group since the page read it; reload the page, check their change and save again.';
      form.fail(error);
    }
  };
}

function Edit({ group, tenantId, known, onSaved }) {
  const form = useForm({
    friendlyName: group.friendlyName, description: group.description || '', notes: group.notes || '',
    licenseCount: group.licenseCount, profilePath: group.profilePath, groupIds: group.groupIds.map((id) => ({ id, displayName: nameIn(known, id) })),
    ...policyValues(group), ...scalingValues(group.scaling),
  });
  useEffect(() => {
    // the names arrive after the form is made: fill in those it could not show yet
    if (!known) return;
    const named = (entry) => (entry.displayName === entry.id ? { ...entry, displayName: nameIn(known, entry.id) } : entry);
    form.setValues((old) => ({ ...old, groupIds: old.groupIds.map(named) }));
  }, [known]);
  const hosts = hostCount(group.userType, form.values.licenseCount, group.maxSessionsPerHost);
  const save = saver(group, tenantId, form, spotGroupPatch,
    (patch, answer) => onSaved(savedMessage(group, patch, answer.status === 202 || followedByAzure(patch))));
  return html`<form onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="edit-heading">
    <h2 id="edit-heading">Edit</h2>
    <p class="muted">Description and notes are saved at once. The friendly name, groups, profile path, license count and session time limits
      are followed by Azure (the group shows updating): more licenses add hosts, fewer drain and remove the last ones with 60 minutes for their
      users; new limits are applied to every host again.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="friendlyName" label="Friendly name" required />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows="2" />
    <${Field} form=${form} name="notes" label="Notes" type="textarea" rows="2" />
    <${Field} form=${form} name="licenseCount" label="License count" type="number" required
      hint=${`${plural(hosts, 'session host')} for this count (${group.sessionHostCounts?.total ?? 0} now).`} />
    <${GroupPicker} tenantId=${tenantId} value=${form.values.groupIds} onChange=${(groups) => form.set('groupIds', groups)}
      label="Entra groups" error=${form.errors.fields.groupIds} />
    <${Field} form=${form} name="profilePath" label="Profile path" required hint="A UNC path; every host is configured with it again." />
    <${SessionLimitFields} form=${form} />
    ${group.userType === 'personal' && html`<${PersonalPowerFields} form=${form} />`}
    ${group.userType === 'pooled' && html`<div class="scaling-beside">
      <${ScalingFields} form=${form} bound=${hosts} fixed=${Boolean(group.scaling)} />
      ${(group.scaling || form.values[SCALING_ON]) && html`<${ScalingReplay} tenantId=${tenantId} group=${group} form=${form} />`}
    </div>`}
    <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">Save changes</${ActionButton}>
  </form>`;
}

/** While a run is at work on the group (an image update may wait days for its window): its description and notes only. */
function EditNotes({ group, tenantId, onSaved }) {
  const form = useForm({ description: group.description || '', notes: group.notes || '' });
  const save = saver(group, tenantId, form, notesPatch, () => onSaved('Saved.'));
  return html`<form onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="edit-heading">
    <h2 id="edit-heading">Edit</h2>
    <p class="muted">While the group is ${group.status}, only its description and notes can change; the rest once it is ready.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows="2" />
    <${Field} form=${form} name="notes" label="Notes" type="textarea" rows="2" />
    <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">Save changes</${ActionButton}>
  </form>`;
}

function Delete({ group, tenantId, onDeleted }) {
  const form = useForm({ drainTimeoutMinutes: DRAIN_DEFAULT_MINUTES });
  const [error, setError] = useState(null);
  const remove = async () => {
    const minutes = form.values.drainTimeoutMinutes;
    if (!(await confirm(deleteQuestion(group, null, minutes), { title: 'Delete Spot Group?', confirmLabel: 'Delete Spot Group' }))) return;
    setError(null);
    form.clear();
    try {
      await deleteSpotGroup(tenantId, group.id, Number.isNaN(minutes) ? '' : minutes);
      onDeleted();
    } catch (failure) {
      if (failure.target === 'drainTimeoutMinutes') form.fail(failure);
      else setError(failure);
    }
  };
  return html`<section class="card" aria-labelledby="delete-heading">
    <h2 id="delete-heading">Delete</h2>
    <p>Drains every session host, gives its users the drain timeout to sign out, then removes the hosts, their Entra devices, the host pool,
      its application group and workspace.</p>
    <${ErrorBanner} error=${error} title="Not deleted" />
    <form class="inline-form" onSubmit=${(event) => { event.preventDefault(); remove(); }}>
      <${Field} form=${form} name="drainTimeoutMinutes" label="Drain timeout (minutes)" type="number" hint=${`${span(SPOT_GROUP_DELETE_RANGES.drainTimeoutMinutes)}; default ${DRAIN_DEFAULT_MINUTES}.`} />
      <${ActionButton} type="submit" kind="danger" onClick=${remove} busyLabel="Deleting…">Delete Spot Group</${ActionButton}>
    </form>
  </section>`;
}

export function SpotGroupPage({ params, query }) {
  const { tenantId, spotGroupId } = params;
  const poll = useResource(spotGroup(tenantId, spotGroupId));
  const sites = useResource(siteList(tenantId));
  // groups are kept by id; their names come from the directory (without a linked directory, the ids are shown)
  const directory = useResource(firstGroups(tenantId));
  const imageSetId = poll.data?.group?.imageSetId;
  const imageSet = useResource(imageSetId ? imageSetOf(tenantId, imageSetId) : null);
  const [saved, setSaved] = useState(query.created ? 'Spot Group created.' : null);
  const seen = useRef(null);
  const list = href('/tenants/:tenantId/spotGroups', { tenantId });
  const data = poll.data;
  if (data?.gone) {
    const was = seen.current;
    return html`<${Page} title=${was ? was.friendlyName : 'Spot Group not found'}>
      ${was ? html`<${Notice} kind="success">The Spot Group ${was.friendlyName} is deleted: its hosts and host pool are gone.</${Notice}>`
        : html`<p>There is no such Spot Group in this tenant: it was deleted, or the address is wrong.</p>`}
      <p><a href=${list}>All Spot Groups</a></p></${Page}>`;
  }
  if (!data) {
    return html`<${Page} title="Spot Group"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}
      <p><a href=${list}>All Spot Groups</a></p></${Page}>`;
  }
  const { group, hosts, updates } = data;
  seen.current = group;
  const site = sites.data?.find((entry) => entry.id === group.siteId);
  const running = IMAGE_UPDATE_UNDER_WAY.includes(updates[0]?.status) ? new Set(updates[0].canary) : new Set();
  const changed = setSaved;
  const busy = SPOT_GROUP_BUSY.includes(group.status);
  const mayEdit = can('updateSpotGroup', tenantId);
  return html`<${Page} title=${group.friendlyName} subtitle=${`${group.name} · ${words(group.userType)} · host pool ${group.hostPoolName}`}
      actions=${html`<${AsOf} poll=${poll} />${can('createTemplate') && html`<a class="button secondary"
        href=${href('/templates/new', {}, { kind: 'spotGroup', tenantId, objectId: group.id })}>Make a template</a>`}`}>
    <p><a href=${list}>All Spot Groups</a></p>
    <${Areas} group=${group} tenantId=${tenantId} />
    ${saved && html`<${Notice} kind="success">${saved}</${Notice}>`}
    <${ErrorBanner} error=${poll.error} title="The Spot Group could not be read again" />
    <${Status} group=${group} hosts=${hosts} />
    <${SessionHosts} hosts=${hosts} canary=${running} tenantId=${tenantId} spotGroupId=${group.id} personal=${group.userType === 'personal'} />
    ${can('getTenantCosts', tenantId) && html`<${SpotGroupCosts} tenantId=${tenantId} groupId=${group.id} />`}
    ${can('listSpotGroupUsers', tenantId) && html`<${UsersAndLicenses} tenantId=${tenantId} group=${group} />`}
    ${group.userType === 'pooled' && html`<${Evictions} tenantId=${tenantId} groupId=${group.id} />`}
    ${can('listSpotGroupEvents', tenantId) && html`<${Decisions} tenantId=${tenantId} groupId=${group.id} />`}
    <${ImageUpdates} group=${group} updates=${updates} hosts=${hosts} tenantId=${tenantId} onStarted=${changed} />
    <section class="card wide" aria-labelledby="group-details-heading">
      <h2 id="group-details-heading">Details</h2>
      <${Details} items=${[
        ['User type', words(group.userType)],
        ['License count', group.licenseCount],
        ['Site', site ? html`${site.displayName} (<${RegionName} name=${site.regionName} />)` : group.siteId],
        ['Image', html`<a href=${href('/tenants/:tenantId/imageSets/:imageSetId', { tenantId, imageSetId: group.imageSetId })}>${imageSet.data?.displayName || 'Image set'}</a>, version ${group.imageVersion}${running.size ? ' (rolling out)' : ''}`],
        ['VM size', group.vmSize],
        group.userType === 'pooled' && ['Sessions per host', group.maxSessionsPerHost],
        group.userType === 'pooled' && ['Scaling', scalingText(group.scaling, hostCount('pooled', group.licenseCount, group.maxSessionsPerHost))],
        ['Profile path', html`<code>${group.profilePath}</code>`],
        ['Session time limits', sessionLimitsText(group.sessionLimits)],
        group.userType === 'personal' && ['Power while users are away', personalPowerText(group.personalPower)],
        ['Groups', group.groupIds.map((id, at) => html`${at ? ', ' : ''}<${GroupName} tenantId=${tenantId} groupId=${id} />`)],
        ['Description', group.description],
        ['Notes', group.notes],
        ['Created', dateTime(group.createdDateTime)],
        ['Modified', dateTime(group.lastModifiedDateTime)],
      ]} />
    </section>
    ${mayEdit && (group.status === 'deleting' ? html`<${Notice}>The group is being deleted: it takes no more changes.</${Notice}>`
      : busy ? html`<section class="card"><${EditNotes} key=${`${group.id}-${group.status}`} group=${group} tenantId=${tenantId} onSaved=${changed} /></section>`
        : html`<section class="card"><${Edit} key=${group.id} group=${group} tenantId=${tenantId} known=${directory.data} onSaved=${changed} /></section>`)}
    ${can('deleteSpotGroup', tenantId) && group.status !== 'deleting'
      && html`<${Delete} group=${group} tenantId=${tenantId} onDeleted=${() => changed('Deletion started: the hosts are drained first.')} />`}
  </${Page}>`;
}
