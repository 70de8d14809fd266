// Provisioning policies: the list, and the routes of the wizard and of one policy's page.
import { html } from 'htm/preact';
import { can } from '../access.js';
import { href, page } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Page } from '../ui.js';
import { JOIN_TYPES, networkOf } from '../lib/configuration.js';
import { dateTime } from '../lib/format.js';
import { connectionList } from '../models/connections.js';
import { policyList } from '../models/policies.js';
import { useResource } from '../models/resource.js';
import { policyStatusBadge } from './policy-parts.js';
import { PolicyPage } from './policy-page.js';
import { PolicyWizard } from './policy-wizard.js';

function Policies({ params }) {
  const { tenantId } = params;
  const poll = useResource(policyList(tenantId));
  const connections = useResource(connectionList(tenantId));
  const byId = Object.fromEntries((connections.data || []).map((connection) => [connection.id, connection]));
  const columns = [
    { label: 'Name', render: (policy) => html`<a href=${href('/tenants/:tenantId/policies/:policyId', { tenantId, policyId: policy.id })}>${policy.displayName}</a>
      ${policy.description && html`<div class="detail muted">${policy.description}</div>`}` },
    { label: 'Image', render: (policy) => html`${policy.imageDisplayName || policy.imageId}<div class="detail muted">${policy.imageType === 'custom' ? 'Custom image' : 'Gallery image'}</div>` },
    { label: 'Join type', render: (policy) => JOIN_TYPES[policy.domainJoinConfigurations[0]?.domainJoinType] || '—' },
    { label: 'Network', render: (policy) => networkOf(policy, byId) },
    { label: 'Assigned groups', class: 'number', render: (policy) => policy.assignments.length },
    { label: 'Status', render: policyStatusBadge },
    { label: 'Cloud PCs', render: (policy) => html`<a href=${href('/tenants/:tenantId/cloudPCs', { tenantId }, { provisioningPolicyId: policy.id })}>View<span class="visually-hidden"> the Cloud PCs of ${policy.displayName}</span></a>` },
    { label: 'Modified', render: (policy) => dateTime(policy.lastModifiedDateTime) },
  ];
  const create = can('createProvisioningPolicy', tenantId)
    && html`<a class="button primary" href=${href('/tenants/:tenantId/policies/new', { tenantId })}>Create policy</a>`;
  return html`<${Page} title="Provisioning policies" subtitle="Each policy gives the licensed members of its groups a Cloud PC: network, image and settings."
      actions=${html`<${AsOf} poll=${poll} />${create}`}>
    <${ErrorBanner} error=${poll.error} />
    <${DataTable} caption="Provisioning policies" columns=${columns} rows=${poll.data} empty="No provisioning policies yet." />
  </${Page}>`;
}

page('/tenants/:tenantId/policies', Policies);
// registered before the policy's page so that "new" is not taken for an id
page('/tenants/:tenantId/policies/new', PolicyWizard, { needs: 'createProvisioningPolicy', doing: 'create a provisioning policy' });
page('/tenants/:tenantId/policies/:policyId', PolicyPage);
