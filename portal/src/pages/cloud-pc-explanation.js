// Why a user has the Cloud PCs they have: the policy that wins and why, their licenses, the Cloud PCs they have and should have.
import { html } from 'htm/preact';
import { href } from '../router.js';
import { ErrorBanner, StatusBadge } from '../ui.js';
import { dateTime, forReaders } from '../lib/format.js';
import { explanation } from '../models/cloud-pcs.js';
import { useResource } from '../models/resource.js';

/** `version` (the Cloud PC's last change) reads the explanation again when the Cloud PC moves on. */
export function Explanation({ tenantId, userId, cloudPcId, version }) {
  const poll = useResource(explanation(tenantId, userId, version));
  const found = poll.data;
  const cloudPcLink = (id, text) => (id === cloudPcId
    ? html`<strong>${text} (this one)</strong>`
    : html`<a href=${href('/tenants/:tenantId/cloudPCs/:cloudPcId', { tenantId, cloudPcId: id })}>${text}</a>`);
  const policyLink = (id, name) => html`<a href=${href('/tenants/:tenantId/policies/:policyId', { tenantId, policyId: id })}>${name}</a>`;
  return html`<section class="card wide explanation" aria-labelledby="explanation-heading">
    <h2 id="explanation-heading">Why this user has this Cloud PC</h2>
    <${ErrorBanner} error=${poll.error} title="The explanation could not be read" />
    ${!found && !poll.error && html`<p class="muted">Reading the user's groups, licenses and policies…</p>`}
    ${found && html`
      <p class="explanation-reason">${forReaders(found.reason)}</p>
      <h3>Policies that target ${found.displayName || found.userPrincipalName}</h3>
      ${found.candidates.length === 0 ? html`<p>No assigned policy's groups hold this user.</p>` : html`<ol class="candidates">
        ${found.candidates.map((candidate) => html`<li key=${candidate.policyId}>
          ${policyLink(candidate.policyId, candidate.policyName)}
          ${' '}<${StatusBadge} status=${candidate.wins ? 'succeeded' : null} label=${candidate.wins ? 'Wins' : 'Does not win'} />
          <span class="muted"> · assigned ${dateTime(candidate.assignedDateTime)}</span>
          <p>${forReaders(candidate.reason)}</p></li>`)}
      </ol>`}
      <h3>Windows 365 licenses</h3>
      ${found.licenses.length === 0 ? html`<p>The user holds no Windows 365 license: no Cloud PC is provisioned for them.</p>` : html`<ul>
        ${found.licenses.map((license) => html`<li key=${license.servicePlanId}>${license.servicePlanName}: ${license.count} (one Cloud PC each)</li>`)}
      </ul>`}
      <h3>Cloud PCs the user has</h3>
      ${found.cloudPcs.length === 0 ? html`<p>None.</p>` : html`<ul>
        ${found.cloudPcs.map((held) => html`<li key=${held.id}>${cloudPcLink(held.id, held.displayName)}
          ${' '}<${StatusBadge} status=${held.status} /> ${held.servicePlanName}, from ${held.provisioningPolicyName}.
          ${' '}${held.expected ? '' : html`<strong>Not wanted by the targeting rule. </strong>`}${forReaders(held.note)}</li>`)}
      </ul>`}
      <h3>Cloud PCs the user should have</h3>
      ${found.expected.length === 0 ? html`<p>None: no policy provisions for this user now.</p>` : html`<ul>
        ${found.expected.map((expected) => html`<li key=${`${expected.servicePlanId}.${expected.slotIndex}`}>
          ${expected.servicePlanName} (license ${expected.slotIndex + 1}) from ${expected.provisioningPolicyName}:
          ${' '}${expected.existingCloudPcId ? cloudPcLink(expected.existingCloudPcId, 'has it') : 'not made yet'}. ${forReaders(expected.note)}</li>`)}
      </ul>`}`}
  </section>`;
}
