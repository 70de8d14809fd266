// Rolling a template out: the tenants picked from the caller's, each tenant's parameters picked from its own data
// (groups, sites, image sets; typed as the fallback), the review of what each tenant would get, then the roll-out
// followed tenant by tenant.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { GroupPicker } from '../groups.js';
import { PickOrType } from '../pick-list.js';
import { href, page } from '../router.js';
import { ActionButton, ErrorBanner, Field, Notice, Page } from '../ui.js';
import { errorsByField } from '../lib/errors.js';
import { words } from '../lib/format.js';
import { kindInText, errorsByTenant, typedValue } from '../lib/templates.js';
import { imageSetList } from '../models/image-sets.js';
import { useResource } from '../models/resource.js';
import { siteList } from '../models/sites.js';
import { reviewApply, startRollout, template } from '../models/templates.js';
import { tenantList } from '../models/tenants.js';
import { FieldValue, RolloutWatch } from './templates.js';

const NO_ERRORS = { fields: {}, general: [] };
// parameters picked from the tenant's own lists; any other is typed
const LISTED = {
  siteId: { list: siteList, typedLabel: 'id', choice: (site) => ({ value: site.id, label: site.displayName }) },
  imageSetId: { list: imageSetList, typedLabel: 'id', choice: (set) => ({ value: set.id, label: set.displayName || set.name }) },
};
const GROUPS = {
  assignments: { read: (value) => (value || []).map((one) => ({ id: one.groupId })), write: (groups) => groups.map((group) => ({ groupId: group.id })) },
  groupIds: { read: (value) => (value || []).map((id) => ({ id })), write: (groups) => groups.map((group) => group.id) },
};

/** One tenant's parameters: `values` as the body takes them, `set(name, value)`. */
function TenantParameters({ tenant, parameters, values, errors, set }) {
  const form = { values, errors, set };
  // the body holds a group's id only: the names the picker found are kept here for its list of chosen groups
  const [groupNames, setGroupNames] = useState({});
  const named = (groups) => groups.map((group) => ({ ...group, displayName: groupNames[group.id] }));
  const pickGroups = (name, groups) => {
    setGroupNames((old) => ({ ...old, ...Object.fromEntries(groups.map((group) => [group.id, group.displayName])) }));
    set(name, groups.length ? GROUPS[name].write(groups) : undefined);
  };
  return html`<fieldset class="card wide">
    <legend>${tenant.displayName}</legend>
    <${ErrorBanner} error=${errors.general} title="Refused" />
    <p class="hint">Left empty, a parameter keeps what this tenant was last given.</p>
    ${parameters.map((name) => {
      if (GROUPS[name]) {
        return html`<${GroupPicker} tenantId=${tenant.id} label=${words(name)} error=${errors.fields[name]}
          value=${named(GROUPS[name].read(values[name]))} onChange=${(groups) => pickGroups(name, groups)} />`;
      }
      const listed = LISTED[name];
      if (listed) {
        return html`<${PickOrType} form=${form} name=${name} label=${words(name)} typedLabel=${listed.typedLabel}
          list=${listed.list(tenant.id)} choice=${listed.choice} first=${{ label: 'Choose one' }} />`;
      }
      return html`<${Field} form=${form} name=${name} label=${words(name)} hint="As the field takes it: text, a number, true or false." />`;
    })}
  </fieldset>`;
}

function ReviewedTenant({ review }) {
  const ready = !review.missingParameters.length && !review.problems.length;
  return html`<section class="card wide" aria-label=${`Review of ${review.tenantName || review.tenantId}`}>
    <h3>${review.tenantName || review.tenantId}</h3>
    ${review.objects.map((object) => html`<div>
      <p><strong>${{ create: 'Creates', update: 'Changes', unchanged: 'Leaves unchanged' }[object.action]}</strong>
        ${` ${kindInText(object.kind)} ${object.name}`}</p>
      ${object.changes.length > 0 && html`<ul aria-label=${`Changes to ${object.name}`}>
        ${object.changes.map((one) => html`<li><strong>${words(one.field)}</strong>: <${FieldValue} tenantId=${review.tenantId} name=${one.field} value=${one.current} /> → <${FieldValue} tenantId=${review.tenantId} name=${one.field} value=${one.desired} /></li>`)}
      </ul>`}
    </div>`)}
    ${review.missingParameters.length > 0 && html`<${Notice} kind="warning">Still to fill in: ${review.missingParameters.map(words).join(', ')}.</${Notice}>`}
    ${review.problems.length > 0 && html`<div class="banner error" role="alert"><strong>Would be refused</strong>
      ${review.problems.map((problem) => html`<p>${problem.message}</p>`)}</div>`}
    ${ready && !review.objects.length && html`<p class="muted">Nothing to do.</p>`}
  </section>`;
}

function ApplyTemplate({ params }) {
  const { templateId } = params;
  const found = useResource(template(templateId)).data;
  const tenants = useResource(tenantList).data || [];
  const [picked, setPicked] = useState([]);
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({ general: [], tenants: {} });
  const [review, setReview] = useState(null);
  const [rollout, setRollout] = useState(null);
  if (!found) return html`<${Page} title="Review and apply"><p class="muted">Loading…</p></${Page}>`;
  const order = tenants.filter((tenant) => picked.includes(tenant.id)).map((tenant) => tenant.id);
  const body = () => ({
    version: found.version,
    tenants: order.map((tenantId) => {
      const given = Object.entries(values[tenantId] || {}).filter(([, value]) => value !== undefined && value !== '');
      return given.length ? { tenantId, parameters: Object.fromEntries(given) } : { tenantId };
    }),
  });
  const changed = () => {
    setReview(null);
    setErrors({ general: [], tenants: {} });
  };
  const pick = (tenantId, on) => {
    changed();
    setPicked(on ? [...picked, tenantId] : picked.filter((one) => one !== tenantId));
  };
  const set = (tenantId) => (name, value) => {
    changed();
    const typed = GROUPS[name] || LISTED[name] ? value : typedValue(value);
    setValues((old) => ({ ...old, [tenantId]: { ...old[tenantId], [name]: value === '' ? undefined : typed } }));
  };
  const shown = (tenantId) => Object.fromEntries(Object.entries(values[tenantId] || {})
    .map(([name, value]) => [name, GROUPS[name] || LISTED[name] || typeof value === 'string' ? value : JSON.stringify(value)]));
  const refused = (error) => setErrors(errorsByTenant(errorsByField(error), order));
  const check = async () => {
    try {
      setReview(await reviewApply(templateId, body()));
    } catch (error) {
      refused(error);
    }
  };
  const apply = async () => {
    try {
      setRollout(await startRollout(templateId, body()));
    } catch (error) {
      refused(error);
    }
  };
  const names = Object.fromEntries(tenants.map((tenant) => [tenant.id, tenant.displayName]));
  const ready = review && review.tenants.every((one) => !one.missingParameters.length && !one.problems.length);
  return html`<${Page} title=${`Review and apply ${found.displayName}`} subtitle=${`Version ${found.version}: pick the tenants, fill in their parameters, review what each gets, then apply.`}>
    ${rollout ? html`<${RolloutWatch} rollout=${rollout} names=${names} />
        <p><a href=${href('/templates/:templateId', { templateId })}>See the template and its tenants</a></p>`
      : html`<fieldset class="card wide">
        <legend>Tenants</legend>
        ${tenants.map((tenant) => html`<div class="field checkbox"><input type="checkbox" id=${`apply-${tenant.id}`} checked=${picked.includes(tenant.id)}
          onChange=${(event) => pick(tenant.id, event.currentTarget.checked)} /><label for=${`apply-${tenant.id}`}>${tenant.displayName}</label></div>`)}
      </fieldset>
      ${order.map((tenantId) => html`<${TenantParameters} key=${tenantId} tenant=${tenants.find((one) => one.id === tenantId)}
        parameters=${found.parameters} values=${shown(tenantId)} errors=${errors.tenants[tenantId] || NO_ERRORS} set=${set(tenantId)} />`)}
      <${ErrorBanner} error=${errors.general} title="Refused" />
      <div class="wizard-actions">
        <${ActionButton} kind=${review ? 'secondary' : 'primary'} onClick=${check} busyLabel="Reviewing…" disabled=${!order.length}>Review</${ActionButton}>
        ${review && html`<${ActionButton} kind="primary" onClick=${apply} busyLabel="Starting…" disabled=${!ready}>Apply to ${order.length === 1 ? '1 tenant' : `${order.length} tenants`}</${ActionButton}>`}
      </div>
      ${review && html`<section aria-labelledby="review-title"><h2 id="review-title">What each tenant gets</h2>
        ${review.tenants.map((one) => html`<${ReviewedTenant} key=${one.tenantId} review=${one} />`)}</section>`}`}
  </${Page}>`;
}

page('/templates/:templateId/apply', ApplyTemplate, { needs: 'applyTemplate', doing: 'apply a template' });
