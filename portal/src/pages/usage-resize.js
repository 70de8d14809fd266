// The right-sizing report's selection resized to the plans it recommends: one bulk resize per plan, each reviewed by the API before any starts.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { go } from '../router.js';
import { ActionButton, ErrorBanner, confirm, failureLine } from '../ui.js';
import { confirmation, reviewHeadline, splitReview } from '../lib/bulk-review.js';
import { warning } from '../lib/cloud-pcs.js';
import { plural } from '../lib/format.js';
import { resizesByPlan } from '../lib/usage.js';
import { reviewBulkAction, startBulkAction } from '../models/bulk-actions.js';

const count = (n) => plural(n, 'Cloud PC');
const body = (resize, cloudPcIds = resize.cloudPcIds) => ({ action: 'resize', cloudPcIds, targetServicePlanId: resize.targetServicePlanId });

export function ResizeToRecommended({ tenantId, report, selection, planName }) {
  const [review, setReview] = useState(null); // {key, plans: [{targetServicePlanId, accepted, refused}]}
  const [error, setError] = useState(null);
  const { resizes, withoutPlan, notResizable } = resizesByPlan(report, selection.value);
  const key = JSON.stringify(resizes);
  const current = review?.key === key ? review : null; // another selection needs its own review
  if (!selection.value.size) return html`<p class="muted bulk-hint">Select Cloud PCs the report recommends another plan for to resize each to it.</p>`;
  const name = (id) => report.find((row) => row.cloudPcId === id)?.displayName || id;
  const accepted = current ? current.plans.reduce((sum, plan) => sum + plan.accepted.length, 0) : 0;

  const check = async () => {
    setError(null);
    try {
      const plans = await Promise.all(resizes.map(async (resize) => ({
        ...resize, ...splitReview(await reviewBulkAction(tenantId, body(resize))) })));
      setReview({ key, plans });
    } catch (failure) {
      setError(failure);
    }
  };
  const run = async () => {
    const going = current.plans.filter((plan) => plan.accepted.length);
    const lines = going.map((plan) => warning('resize', plan.accepted.length === 1 ? name(plan.accepted[0]) : `these ${count(plan.accepted.length)}`,
      planName(plan.targetServicePlanId)));
    if (!(await confirm(lines.join(' '), confirmation('Resize', accepted)))) return;
    setError(null);
    const started = [];
    try {
      for (const plan of going) started.push(await startBulkAction(tenantId, body(plan, plan.accepted)));
    } catch (failure) {
      setError(failure);
      return;
    } finally {
      if (started.length) selection.value = new Set();
    }
    if (started.length === 1) go('/tenants/:tenantId/bulkActions/:bulkActionId', { tenantId, bulkActionId: started[0].id });
    else go('/tenants/:tenantId/bulkActions', { tenantId });
  };

  return html`<section class="bulk-bar" aria-labelledby="resize-heading">
    <h3 id="resize-heading" class="bulk-heading">${count(selection.value.size)} selected</h3>
    <p>${resizes.length ? resizes.map((resize) => `${count(resize.cloudPcIds.length)} to ${planName(resize.targetServicePlanId)}`).join('; ') : 'None of them has another plan recommended.'}${withoutPlan.length
      ? ` ${withoutPlan.length === 1 ? `${withoutPlan[0].displayName} has` : `${count(withoutPlan.length)} have`} no other plan recommended and ${withoutPlan.length === 1 ? 'is' : 'are'} left out.` : ''}</p>
    ${notResizable.length > 0 && html`<ul class="refused">${notResizable.map((row) => html`<li key=${row.cloudPcId}>
      <strong>${row.displayName}</strong> is left out: ${row.notResizableReason}</li>`)}</ul>`}
    <div class="bulk-controls">
      ${resizes.length > 0 && html`<${ActionButton} kind="secondary" onClick=${check} busyLabel="Reviewing…">Review resize to recommended</${ActionButton}>`}
      <button type="button" class="button subtle" onClick=${() => { selection.value = new Set(); }}>Clear selection</button>
    </div>
    <${ErrorBanner} error=${error} />
    ${current && html`<div class="bulk-review" role="status">
      ${current.plans.map((plan) => html`<div key=${plan.targetServicePlanId}>
        <p><strong>To ${planName(plan.targetServicePlanId)}: ${reviewHeadline('Resize', plan)}</strong></p>
        ${plan.refused.length > 0 && html`<ul class="refused">${plan.refused.map((item) => html`<li key=${item.cloudPcId}>
          <strong>${name(item.cloudPcId)}</strong>: ${failureLine(item.error) || 'refused'}</li>`)}</ul>`}</div>`)}
      ${accepted > 0 && html`<${ActionButton} kind="primary" onClick=${run} busyLabel="Starting…">Resize ${count(accepted)}…</${ActionButton}>`}
    </div>`}
  </section>`;
}
