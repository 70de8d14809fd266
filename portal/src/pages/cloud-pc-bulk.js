// One action on the selected Cloud PCs: a review of which the API would refuse and why, a confirmation naming the count, the run.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { go } from '../router.js';
import { ActionButton, ErrorBanner, confirm, failureLine } from '../ui.js';
import { confirmation, reviewHeadline, splitReview } from '../lib/bulk-review.js';
import { ACTIONS, BULK_ACTIONS, actionLabel, warning } from '../lib/cloud-pcs.js';
import { plural } from '../lib/format.js';
import { resizeTargets } from '../lib/service-plans.js';
import { reviewBulkAction, startBulkAction } from '../models/bulk-actions.js';

const count = (n) => plural(n, 'Cloud PC');

export function BulkBar({ tenantId, selection, seen, plans }) {
  const [action, setAction] = useState('reboot');
  const [plan, setPlan] = useState('');
  const [review, setReview] = useState(null); // {key, accepted: [id], refused: [item]} for what was reviewed
  const [error, setError] = useState(null);
  const ids = [...selection.value];
  const reviewKey = JSON.stringify([action, plan, ids]);
  const current = review?.key === reviewKey ? review : null; // a change of action, plan or selection needs a new review
  if (!ids.length) return html`<p class="muted bulk-hint">Select Cloud PCs to restart, power, reprovision, retry, resize or end the grace period of several at once.</p>`;
  const name = (id) => seen.get(id)?.displayName || id;
  const body = (cloudPcIds) => ({ action, cloudPcIds, ...(action === 'resize' ? { targetServicePlanId: plan } : {}) });
  const planName = plans?.find((one) => one.id === plan)?.displayName;

  const check = async () => {
    setError(null);
    if (action === 'resize' && !plan) {
      setError(new Error('Choose the plan to resize to.'));
      return;
    }
    try {
      const answer = await reviewBulkAction(tenantId, body(ids));
      setReview({ key: reviewKey, ...splitReview(answer) });
    } catch (failure) {
      setError(failure);
    }
  };
  const run = async () => {
    const { accepted } = current;
    const label = actionLabel(action);
    const what = accepted.length === 1 ? name(accepted[0]) : `these ${count(accepted.length)}`;
    const detail = warning(action, what, planName) || `${label}: ${what}.`;
    const refusedNote = current.refused.length ? ` The ${count(current.refused.length)} the review refused ${current.refused.length === 1 ? 'is' : 'are'} left out.` : '';
    if (!(await confirm(`${detail}${refusedNote}`, { ...confirmation(label, accepted.length), destructive: Boolean(ACTIONS[action].warn) }))) return;
    setError(null);
    try {
      const created = await startBulkAction(tenantId, body(accepted));
      selection.value = new Set();
      go('/tenants/:tenantId/bulkActions/:bulkActionId', { tenantId, bulkActionId: created.id });
    } catch (failure) {
      setError(failure);
    }
  };

  return html`<section class="bulk-bar" aria-labelledby="bulk-heading">
    <h2 id="bulk-heading" class="bulk-heading">${count(ids.length)} selected</h2>
    <div class="bulk-controls">
      <label><span>Action</span>
        <select value=${action} onChange=${(event) => setAction(event.currentTarget.value)}>
          ${BULK_ACTIONS.map((value) => html`<option value=${value}>${actionLabel(value)}</option>`)}
        </select></label>
      ${action === 'resize' && html`<label><span>Target plan</span>
        <select value=${plan} onChange=${(event) => setPlan(event.currentTarget.value)}>
          <option value="">Choose a plan</option>
          ${resizeTargets(plans).map((option) => html`<option value=${option.id}>${option.displayName}</option>`)}
        </select></label>`}
      <${ActionButton} kind="secondary" onClick=${check} busyLabel="Reviewing…">Review</${ActionButton}>
      <button type="button" class="button subtle" onClick=${() => { selection.value = new Set(); }}>Clear selection</button>
    </div>
    <${ErrorBanner} error=${error} />
    ${current && html`<div class="bulk-review" role="status">
      <p><strong>${reviewHeadline(actionLabel(action), current)}</strong></p>
      ${current.refused.length > 0 && html`<ul class="refused">${current.refused.map((item) => html`<li key=${item.cloudPcId}>
        <strong>${name(item.cloudPcId)}</strong>: ${failureLine(item.error) || 'refused'}</li>`)}</ul>`}
      ${current.accepted.length > 0 && html`<${ActionButton} kind=${ACTIONS[action].warn ? 'danger' : 'primary'} onClick=${run}
        busyLabel="Starting…">${actionLabel(action)} ${count(current.accepted.length)}…</${ActionButton}>`}
    </div>`}
  </section>`;
}
