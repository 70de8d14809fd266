// Spot Groups: the list with their hosts and status (followed while they deploy), and the routes of the area (a group, its schedule, its sessions).
import { html } from 'htm/preact';
import { can } from '../access.js';
import { href, page, setQuery } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page, StatusBadge } from '../ui.js';
import { hostCountsText } from '../lib/spot-pc.js';
import { words } from '../lib/format.js';
import { useResource } from '../models/resource.js';
import { spotGroupList } from '../models/spot-groups.js';
import { SpotGroupWizard } from './spot-group-wizard.js';
import { SpotGroupPage } from './spot-group-page.js';
import { SpotGroupSchedulePage } from './spot-group-schedule.js';
import { SpotGroupSessionsPage } from './spot-group-sessions.js';

const STATUSES = ['ready', 'deploying', 'updating', 'deleting', 'failed'];

function StatusFilter({ value, counts }) {
  return html`<div class="toolbar">
    <div class="field">
      <label for="spot-group-status">Status</label>
      <select id="spot-group-status" value=${value || ''} onChange=${(event) => setQuery({ status: event.currentTarget.value })}>
        <option value="">Any status (${Object.values(counts).reduce((sum, count) => sum + count, 0)})</option>
        ${STATUSES.map((status) => html`<option value=${status}>${words(status)} (${counts[status] || 0})</option>`)}
      </select>
    </div>
  </div>`;
}

function SpotGroups({ params, query }) {
  const { tenantId } = params;
  const poll = useResource(spotGroupList(tenantId));
  const all = poll.data;
  const counts = {};
  for (const group of all || []) counts[group.status] = (counts[group.status] || 0) + 1;
  const rows = all && (query.status ? all.filter((group) => group.status === query.status) : all);
  const columns = [
    { label: 'Name', render: (group) => html`<a href=${href('/tenants/:tenantId/spotGroups/:spotGroupId', { tenantId, spotGroupId: group.id })}>${group.name}</a>` },
    { label: 'Friendly name', key: 'friendlyName' },
    { label: 'User type', render: (group) => words(group.userType) },
    {
      label: 'Status',
      render: (group) => html`<${StatusBadge} status=${group.status} />${group.statusDetail && html`<p class="detail">${group.statusDetail.message}</p>`}`,
    },
    { label: 'Session hosts', render: (group) => hostCountsText(group.sessionHostCounts) },
    { label: 'Assigned users', class: 'number', render: (group) => `${group.assignedUserCount} of ${group.licenseCount}` },
    { label: 'Image version', key: 'imageVersion' },
  ];
  const create = can('createSpotGroup', tenantId)
    && html`<a class="button primary" href=${href('/tenants/:tenantId/spotGroups/new', { tenantId })}>Create Spot Group</a>`;
  return html`<${Page} title="Spot Groups" subtitle="Pooled or personal Azure Virtual Desktop session hosts for the members of Entra groups."
      actions=${html`<${AsOf} poll=${poll} />${create}`}>
    <${ErrorBanner} error=${poll.error} />
    ${all && all.length > 0 && html`<${StatusFilter} value=${query.status} counts=${counts} />`}
    <${DataTable} caption="Spot Groups" columns=${columns} rows=${rows}
      empty=${query.status ? `No Spot Group is ${words(query.status).toLowerCase()}.`
        : html`No Spot Groups yet. They are built from a ready version of an <a href=${href('/tenants/:tenantId/imageSets', { tenantId })}>image set</a>.`} />
  </${Page}>`;
}

page('/tenants/:tenantId/spotGroups', SpotGroups);
// registered before the group's page so that "new" is not taken for an id
page('/tenants/:tenantId/spotGroups/new', SpotGroupWizard, { needs: 'createSpotGroup', doing: 'create a Spot Group' });
page('/tenants/:tenantId/spotGroups/:spotGroupId', SpotGroupPage);
page('/tenants/:tenantId/spotGroups/:spotGroupId/schedule', SpotGroupSchedulePage, { needs: 'getSpotGroupSchedule', doing: 'see a Spot Group\'s schedule' });
page('/tenants/:tenantId/spotGroups/:spotGroupId/sessions', SpotGroupSessionsPage, { needs: 'listSpotGroupSessions', doing: 'see a Spot Group\'s sessions' });
