// The actions on one Cloud PC its status and the caller's role allow: buttons, rename and resize forms, refusals shown plainly.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { ActionButton, ErrorBanner, Field, Notice, confirm, useForm } from '../ui.js';
import { ACTIONS, allowedActions, warning } from '../lib/cloud-pcs.js';
import { words } from '../lib/format.js';
import { resizeTargets } from '../lib/service-plans.js';
import { servicePlans } from '../models/catalog.js';
import { act } from '../models/cloud-pcs.js';
import { useResource } from '../models/resource.js';

const BUTTONS = ['reboot', 'powerOn', 'powerOff', 'troubleshoot', 'retry', 'reprovision', 'endGracePeriod'];
const DONE = {
  reboot: 'Restart requested: the timeline records it.',
  powerOn: 'Power on requested.',
  powerOff: 'Power off requested.',
  troubleshoot: 'Troubleshooting started: its result appears below when the checks are done.',
  retry: 'Retry started: a new run of attempts is under way.',
  reprovision: 'Reprovisioning started: a new VM is being built.',
  endGracePeriod: 'Grace period ended: deprovisioning started.',
  resize: 'Resize started.',
  rename: 'Renamed.',
};

/** A refusal as the admin should read it: a 409 wrongStatus says the status is the reason. */
function Refusal({ failure }) {
  if (!failure) return null;
  const { action, error } = failure;
  const title = error.code === 'wrongStatus' ? `Cannot ${ACTIONS[action].label.toLowerCase()}: not in this status` : `${ACTIONS[action].label} failed`;
  return html`<${ErrorBanner} error=${error} title=${title} />`;
}

export function CloudPcActions({ tenantId, cloudPc }) {
  const [failure, setFailure] = useState(null);
  const [done, setDone] = useState(null);
  const allowed = allowedActions(cloudPc);
  const may = (action) => allowed.includes(action) && can(ACTIONS[action].operation, tenantId);
  const buttons = BUTTONS.filter(may);
  const rename = useForm({ displayName: cloudPc.displayName });
  const resize = useForm({ targetServicePlanId: '' });
  const plans = useResource(servicePlans);

  const run = async (action, body = {}, form = null) => {
    setFailure(null);
    setDone(null);
    form?.clear();
    try {
      await act(tenantId, cloudPc.id, action, body);
      setDone(DONE[action]);
    } catch (error) {
      // a form's own field errors go next to the field; a refusal of the whole action above the buttons
      if (form && (error.details?.length || Object.keys(form.values).includes(error.target))) form.fail(error);
      else setFailure({ action, error });
    }
  };
  const press = async (action) => {
    const question = warning(action, cloudPc.displayName);
    if (question && !(await confirm(question, { title: `${ACTIONS[action].label} ${cloudPc.displayName}?`, confirmLabel: ACTIONS[action].label }))) return;
    await run(action);
  };
  const submitRename = async (event) => {
    event.preventDefault();
    await run('rename', { displayName: rename.values.displayName.trim() }, rename);
  };
  const submitResize = async (event) => {
    event.preventDefault();
    const plan = plans.data?.find((one) => one.id === resize.values.targetServicePlanId);
    if (!plan) {
      resize.fail({ details: [{ target: 'targetServicePlanId', message: 'Choose the plan to resize to.' }] });
      return;
    }
    if (!(await confirm(warning('resize', cloudPc.displayName, plan.displayName), { title: `Resize ${cloudPc.displayName}?`, confirmLabel: 'Resize' }))) return;
    await run('resize', resize.values, resize);
  };

  if (!buttons.length && !may('rename') && !may('resize') && !failure && !done) return null;
  const planOptions = resizeTargets(plans.data, cloudPc.servicePlanId)
    .map((plan) => ({ value: plan.id, label: `${plan.displayName} (${plan.vCpuCount} vCPU, ${plan.ramInGB} GB RAM, ${plan.storageInGB} GB)` }));
  return html`<section class="card wide" aria-labelledby="actions-heading">
    <h2 id="actions-heading">Actions</h2>
    <${Refusal} failure=${failure} />
    ${done && html`<${Notice} kind="success">${done}</${Notice}>`}
    ${buttons.length > 0 && html`<div class="page-actions">
      ${buttons.map((action) => html`<${ActionButton} key=${action} kind=${['reprovision', 'endGracePeriod'].includes(action) ? 'danger' : 'secondary'}
        onClick=${() => press(action)} busyLabel=${`${ACTIONS[action].label}…`}>${ACTIONS[action].label}</${ActionButton}>`)}
    </div>`}
    <div class="action-forms">
      ${may('rename') && html`<form class="inline-form" onSubmit=${submitRename} aria-label="Rename">
        <${Field} form=${rename} name="displayName" label="Friendly name" hint="What the user sees; the device name never changes." required />
        ${rename.errors.general.length > 0 && html`<${ErrorBanner} error=${rename.errors.general} />`}
        <${ActionButton} type="submit" busyLabel="Renaming…">Rename</${ActionButton}>
      </form>`}
      ${may('resize') && html`<form class="inline-form" onSubmit=${submitResize} aria-label="Resize">
        <${Field} form=${resize} name="targetServicePlanId" label="Resize to" type="select" hint=${`Now ${cloudPc.servicePlanName}. The user needs a free license of the new plan.`}
          options=${[{ value: '', label: 'Choose a plan' }, ...planOptions]} />
        ${resize.errors.general.length > 0 && html`<${ErrorBanner} error=${resize.errors.general} title="Cannot resize" />`}
        <${ActionButton} type="submit" busyLabel="Resizing…">Resize</${ActionButton}>
      </form>`}
    </div>
    ${!allowed.includes('reboot') && html`<p class="muted">${words(cloudPc.status)}: restart, power and resize need a provisioned Cloud PC.</p>`}
  </section>`;
}
