// The provisioning policy wizard: general and network, image, groups, then review, create and the assignment plan.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { GroupPicker } from '../groups.js';
import { go, href } from '../router.js';
import { ActionButton, Details, Field, Notice, Page } from '../ui.js';
import { WizardFrame, useWizard } from '../wizard-ui.js';
import { DEFAULT_LOCALE, ENTRA, JOIN_TYPES, POLICY_FIELDS, POWER_RULES, networkOf, policyBody } from '../lib/configuration.js';
import { plural } from '../lib/format.js';
import { powerRulesText, powerValues } from '../lib/session-policies.js';
import { fail, isLast, next } from '../lib/wizard.js';
import {
  CONFIGURATION_FIELDS, ConfigurationFields, GENERAL_FIELDS, IMAGE_FIELDS, ImageFields, NetworkFields, POWER_RULE_FIELDS, PlanReview,
  SettingsFields, generalRequired, sleepsCloudPcs, usePolicyChoices,
} from './policy-parts.js';
import { languageName } from '../catalog-names.js';
import { assignPolicy, checkAssignment, checkPolicy, createPolicy } from '../models/policies.js';

const STEPS = [
  { id: 'general', title: 'General', fields: GENERAL_FIELDS, required: generalRequired },
  { id: 'image', title: 'Image', fields: IMAGE_FIELDS, required: ['imageType', 'imageId'] },
  { id: 'configuration', title: 'Configuration', fields: [...CONFIGURATION_FIELDS, ...POWER_RULE_FIELDS], required: CONFIGURATION_FIELDS },
  { id: 'assignments', title: 'Assignments', fields: ['assignments'] },
  { id: 'review', title: 'Review + create', fields: [] },
];

const INITIAL = {
  displayName: '', description: '', [POLICY_FIELDS.join]: ENTRA, network: 'microsoftHosted', [POLICY_FIELDS.connection]: '',
  [POLICY_FIELDS.region]: 'westeurope', imageType: 'gallery', imageId: '', cloudPcNamingTemplate: '', localAdminEnabled: false,
  enableSingleSignOn: false, [POLICY_FIELDS.locale]: DEFAULT_LOCALE, assignments: [], ...powerValues(null, POWER_RULES),
};

function PolicySummary({ review, choices, groups, tenantId }) {
  const connections = Object.fromEntries((choices?.connections || []).map((connection) => [connection.id, connection]));
  const join = review.domainJoinConfigurations[0];
  return html`<h3>The policy</h3>
    <${Details} items=${[
      ['Name', review.displayName],
      ['Description', review.description || '—'],
      ['Join type', JOIN_TYPES[join.domainJoinType]],
      ['Network', networkOf(review, connections)],
      ['Image', `${review.imageDisplayName} (${review.imageType})`],
      ['Language and region', languageName(review.windowsSetting?.locale || DEFAULT_LOCALE, choices)],
      ['Cloud PC names', review.cloudPcNamingTemplate],
      ['Local administrator', review.localAdminEnabled ? 'Yes' : 'No'],
      ['Single sign-on', review.enableSingleSignOn ? 'Yes' : 'No'],
      ['Grace period', `${review.gracePeriodInHours} hours`],
      sleepsCloudPcs(tenantId) && ['Sleep while users are away', powerRulesText(review.powerRules)],
      ['Groups', groups.length ? groups.map((group) => group.displayName || group.id).join(', ') : 'None yet'],
    ]} />`;
}

function AssignmentsStep({ form, tenantId }) {
  return html`<p class="muted">Every member of these Microsoft Entra groups with a Windows 365 license gets a Cloud PC from this policy,
      unless a policy assigned earlier already serves them. You see exactly who before anything is assigned.</p>
    <${GroupPicker} tenantId=${tenantId} value=${form.values.assignments} onChange=${(groups) => form.set('assignments', groups)}
      label="Assigned groups" error=${form.errors.fields.assignments}
      hint="Find a group by the start of its name, or paste its object id. Optional: a policy can be assigned later from its page." />`;
}

export function PolicyWizard({ params }) {
  const { tenantId } = params;
  const { wizard, form, update } = useWizard(STEPS, INITIAL);
  const choices = usePolicyChoices(tenantId);
  const [review, setReview] = useState(null);
  const [created, setCreated] = useState(null);
  const [plan, setPlan] = useState(null);
  const step = wizard.steps[wizard.current].id;
  const groups = wizard.values.assignments;

  // the review holds for the values it was made from; reached again, it is made anew
  useEffect(() => {
    setReview(null);
    setPlan(null);
  }, [wizard.values]);
  useEffect(() => {
    if (step !== 'review') return undefined;
    let stale = false;
    const settle = (promise, keep) => promise.then((answer) => !stale && keep(answer)).catch((error) => !stale && update((old) => fail(old, error)));
    if (!created && !review) settle(checkPolicy(tenantId, policyBody(wizard.values)), (answer) => setReview(answer.summary));
    if (created && groups.length && !plan) settle(checkAssignment(tenantId, created.id, groups), (answer) => setPlan(answer.plan));
    return () => { stale = true; };
  }, [step, review, created, plan]);

  const onNext = async (current) => {
    if (isLast(next(current)) || created) return next(current); // the Review step asks for itself
    try {
      await checkPolicy(tenantId, policyBody(current.values));
      return next(current);
    } catch (error) {
      const failed = fail(current, error, { through: current.current });
      return Object.keys(failed.errors.fields).length ? failed : next(current);
    }
  };
  const open = (policy, query) => go('/tenants/:tenantId/policies/:policyId', { tenantId, policyId: policy.id }, query);
  const create = async () => {
    try {
      const policy = await createPolicy(tenantId, policyBody(wizard.values));
      if (!groups.length) open(policy, { created: '1' });
      else setCreated(policy);
    } catch (error) {
      update((old) => fail(old, error));
    }
  };
  const assign = async () => {
    try {
      await assignPolicy(tenantId, created.id, groups);
      open(created, { assigned: '1' });
    } catch (error) {
      update((old) => fail(old, error));
    }
  };
  const finish = created
    ? html`<${ActionButton} kind="primary" onClick=${assign} busyLabel="Assigning…" disabled=${!plan}>Assign to ${plural(groups.length, 'group')}</${ActionButton}>
      <a class="button secondary" href=${href('/tenants/:tenantId/policies/:policyId', { tenantId, policyId: created.id })}>Leave it unassigned</a>`
    : html`<${ActionButton} kind="primary" onClick=${create} busyLabel="Creating…" disabled=${!review}>${groups.length ? 'Create and review the assignment' : 'Create policy'}</${ActionButton}>`;
  return html`<${Page} title="Create a provisioning policy" subtitle="Which network, image and settings Cloud PCs get, and for which groups.">
    ${created && html`<${Notice} kind="success">Policy ${created.displayName} is created. Nothing is assigned yet: review who gets a Cloud PC, then assign.
      Its settings can be changed later on its page.</${Notice}>`}
    <${WizardFrame} wizard=${wizard} update=${update} label="the policy wizard" onNext=${onNext} finish=${finish}>
      ${created && ['general', 'image', 'configuration'].includes(step) && html`<${Notice}>These settings are saved with the policy: change them later on
        <a href=${href('/tenants/:tenantId/policies/:policyId', { tenantId, policyId: created.id })}>its page</a>.</${Notice}>`}
      ${!created && step === 'general' && html`
        <${Field} form=${form} name="displayName" label="Name" required hint=${'Without any of < > & | " ^.'} />
        <${Field} form=${form} name="description" label="Description" type="textarea" rows="2" />
        <${NetworkFields} form=${form} choices=${choices} tenantId=${tenantId} />
        <${SettingsFields} form=${form} tenantId=${tenantId} />`}
      ${!created && step === 'image' && html`<${ImageFields} form=${form} choices=${choices} tenantId=${tenantId} />`}
      ${!created && step === 'configuration' && html`<${ConfigurationFields} form=${form} choices=${choices} tenantId=${tenantId} />`}
      ${step === 'assignments' && html`<${AssignmentsStep} form=${form} tenantId=${tenantId} />`}
      ${step === 'review' && !created && (review
        ? html`<p>Every check passed. ${groups.length ? 'Creating the policy assigns nothing yet: next you review who gets a Cloud PC.' : 'Without groups, no Cloud PC is made until the policy is assigned.'}</p>
          <${PolicySummary} review=${review} choices=${choices} groups=${groups} tenantId=${tenantId} />`
        : html`<p class="muted">Checking…</p>`)}
      ${step === 'review' && created && html`<h3>Assignment plan</h3>
        ${plan ? html`<${PlanReview} plan=${plan} served=${new Set()} groupNames=${Object.fromEntries(groups.map((group) => [group.id, group.displayName]))} />` : html`<p class="muted">Working out who gets a Cloud PC…</p>`}`}
    </${WizardFrame}>
    <p><a href=${href('/tenants/:tenantId/policies', { tenantId })}>${created ? 'Go to the provisioning policies' : 'Cancel and go back to the provisioning policies'}</a></p>
  </${Page}>`;
}
