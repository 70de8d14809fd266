// The organization's templates: the list, a template's fields, parameters and versions, and every tenant's
// application with its drift field by field (kept as a named override, or set back by reapplying to that tenant);
// and a tenant's own view of the templates applied to it, with their drift and overrides.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { href, page } from '../router.js';
import { tenantPath } from '../api.js';
import { GroupName } from '../groups.js';
import { ActionButton, AsOf, DataTable, Details, ErrorBanner, Field, NameOf, Notice, Page, confirm, useForm } from '../ui.js';
import { dateTime, plural, words } from '../lib/format.js';
import { KIND_NAMES, aTemplateOf, fieldRows, valueText } from '../lib/templates.js';
import { useResource } from '../models/resource.js';
import {
  appliedTemplates, keepOverride, removeOverride, rolloutDone, startRollout, template, templateApplications, templateList,
  templateRollout, templateVersion,
} from '../models/templates.js';
import { tenantList } from '../models/tenants.js';

const templateLink = (id) => href('/templates/:templateId', { templateId: id });

function Templates() {
  const poll = useResource(templateList);
  const columns = [
    { label: 'Name', render: (one) => html`<a href=${templateLink(one.id)}>${one.displayName}</a>` },
    { label: 'Kind', render: (one) => KIND_NAMES[one.kind] || words(one.kind) },
    { label: 'Version', render: (one) => one.version },
    { label: 'Applied to', render: (one) => plural(one.appliedCount, 'tenant') },
    { label: 'Drift', render: (one) => (one.driftCount ? html`<span class="badge status-warning">${plural(one.driftCount, 'tenant')}</span>` : 'None') },
    { label: 'Modified', render: (one) => dateTime(one.lastModifiedDateTime) },
  ];
  return html`<${Page} title="Templates" subtitle="The organization's standards: one shape of an object, applied to many tenants."
      actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} />
    <${DataTable} caption="Templates" columns=${columns} rows=${poll.data}
      empty="No templates yet: make one from a provisioning policy's, a Spot Group's or an alert rule's page." />
    ${can('listOrganizationAlertRules') && html`<p class="muted">The MSP's own channels hear from every tenant through the
      <a href=${href('/alertRules')}>alert rules for every tenant</a>, which need no roll-out.</p>`}
  </${Page}>`;
}

/** A template's fields in a table: each field's value, or that every tenant fills it in. */
function FieldTable({ caption, fields, parameters }) {
  const columns = [
    { label: 'Field', render: (row) => words(row.name) },
    { label: 'Value', render: (row) => (row.parameter ? html`<em>Each tenant fills it in</em>` : html`<span class="value">${valueText(row.value)}</span>`) },
  ];
  return html`<${DataTable} caption=${caption} columns=${columns} rows=${fieldRows(fields, parameters)} />`;
}

function Versions({ found }) {
  const [shown, setShown] = useState(found.version);
  const version = useResource(shown === found.version ? null : templateVersion(found.id, shown));
  const numbers = Array.from({ length: found.version }, (_, index) => found.version - index);
  const fields = shown === found.version ? found : version.data;
  return html`<section aria-labelledby="versions-title">
    <h2 id="versions-title">Versions</h2>
    <div class="field"><label for="template-version">Version shown</label>
      <select id="template-version" value=${shown} onChange=${(event) => setShown(Number(event.target.value))}>
        ${numbers.map((number) => html`<option value=${number}>Version ${number}${number === found.version ? ' (latest)' : ''}</option>`)}
      </select></div>
    <${ErrorBanner} error=${version.error} />
    ${fields ? html`<${FieldTable} caption=${`Fields of version ${shown}`} fields=${fields.fields} parameters=${fields.parameters} />`
      : html`<p class="muted">Loading…</p>`}
  </section>`;
}

/** "Keep as override": the tenant's present value of `field` stays through every later apply, under a name. */
function KeepOverride({ tenantId, templateId, field }) {
  const [open, setOpen] = useState(false);
  const form = useForm({ name: '' });
  const [kept, setKept] = useState(false);
  if (kept) return html`<span role="status">Kept as an override.</span>`;
  if (!open) return html`<button type="button" class="button subtle" aria-label=${`Keep as override: ${words(field)}`} onClick=${() => setOpen(true)}>Keep as override</button>`;
  const keep = async () => {
    try {
      await keepOverride(tenantId, templateId, { name: form.values.name, field });
      setKept(true);
    } catch (error) {
      form.fail(error);
    }
  };
  return html`<form class="inline-form" onSubmit=${(event) => { event.preventDefault(); keep(); }} novalidate>
    <${ErrorBanner} error=${form.errors.general} title="Not kept" />
    <${Field} form=${form} name="name" label=${`Override name for ${words(field)}`} required hint="Says why this tenant differs." />
    <${ActionButton} type="submit" kind="primary" onClick=${keep} busyLabel="Keeping…">Keep</${ActionButton}>
    <button type="button" class="button subtle" onClick=${() => setOpen(false)}>Cancel</button>
  </form>`;
}

function DriftTable({ application, templateId }) {
  const mayKeep = can('keepTemplateOverride', application.tenantId);
  const columns = [
    { label: 'Field', render: (change) => words(change.field) },
    { label: 'Template', render: (change) => html`<${FieldValue} tenantId=${application.tenantId} name=${change.field} value=${change.desired} />` },
    { label: "Tenant's", render: (change) => html`<${FieldValue} tenantId=${application.tenantId} name=${change.field} value=${change.current} />` },
    ...(mayKeep ? [{ label: 'Actions', render: (change) => html`<${KeepOverride} tenantId=${application.tenantId} templateId=${templateId} field=${change.field} />` }] : []),
  ];
  return html`<${DataTable} caption=${`Drift of ${application.objectName}`} columns=${columns} rows=${application.drift} rowKey=${(change) => change.field} />`;
}

function Overrides({ application }) {
  const [error, setError] = useState(null);
  if (!application.overrides.length) return null;
  const remove = async (override) => {
    const question = `Give ${words(override.field)} back to the template? The next apply sets it to the template's value.`;
    if (!(await confirm(question, { title: 'Remove the override?', confirmLabel: 'Remove' }))) return;
    try {
      await removeOverride(application.tenantId, application.templateId, override.name);
    } catch (failure) {
      setError(failure);
    }
  };
  const columns = [
    { label: 'Name', render: (override) => override.name },
    { label: 'Field', render: (override) => words(override.field) },
    { label: 'Kept value', render: (override) => html`<${FieldValue} tenantId=${application.tenantId} name=${override.field} value=${override.value} />` },
    ...(can('removeTemplateOverride', application.tenantId) ? [{ label: 'Actions', render: (override) => html`<${ActionButton} kind="subtle"
      label=${`Remove the override ${override.name}`} busyLabel="Removing…" onClick=${() => remove(override)}>Remove</${ActionButton}>` }] : []),
  ];
  return html`<${ErrorBanner} error=${error} title="Not removed" />
    <${DataTable} caption=${`Overrides of ${application.objectName}`} columns=${columns} rows=${application.overrides} rowKey=${(override) => override.name} />`;
}

const RESULT_WORDS = { pending: 'Waiting', running: 'Applying', succeeded: 'Applied', failed: 'Failed' };
const ACTION_WORDS = { create: 'created', update: 'updated', unchanged: 'left unchanged' };

/** A roll-out followed until it ends: each tenant's result, and its error, in words. */
function RolloutProgress({ templateId, rolloutId, names }) {
  const poll = useResource(templateRollout(templateId, rolloutId));
  const rollout = poll.data;
  if (!rollout) return html`<${ErrorBanner} error=${poll.error} />`;
  const columns = [
    { label: 'Tenant', render: (item) => names[item.tenantId] || item.tenantId },
    { label: 'Result', render: (item) => RESULT_WORDS[item.status] || words(item.status) },
    { label: 'What it did', render: (item) => (item.error ? item.error.message
      : item.objects.map((object) => `${object.name} ${ACTION_WORDS[object.action]}${object.changes.length
        ? `: ${object.changes.map((one) => words(one.field)).join(', ')}` : ''}`).join('; ') || '—') },
  ];
  return html`<section aria-label="Roll-out" aria-live="polite">
    <p>Roll-out of version ${rollout.version}: <strong>${RESULT_WORDS[rollout.status] || words(rollout.status)}</strong>${rollout.status === 'running' ? '…' : '.'}</p>
    <${DataTable} caption="Each tenant's result" columns=${columns} rows=${rollout.results} rowKey=${(item) => item.tenantId} />
  </section>`;
}

/** Applies the template again to one tenant (its parameters as last applied), then follows that roll-out. */
function Reapply({ application, names }) {
  const [rollout, setRollout] = useState(null);
  const [error, setError] = useState(null);
  const reapply = async () => {
    setError(null);
    try {
      const started = await startRollout(application.templateId, { tenants: [{ tenantId: application.tenantId }] });
      setRollout(started);
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<div>
    <${ActionButton} onClick=${reapply} busyLabel="Starting…" label=${`Reapply to ${names[application.tenantId] || application.tenantId}`}>Reapply</${ActionButton}>
    <${ErrorBanner} error=${error} title="Not reapplied" />
    ${rollout && html`<${RolloutWatch} rollout=${rollout} names=${names} />`}
  </div>`;
}

export function RolloutWatch({ rollout, names }) {
  const poll = useResource(templateRollout(rollout.templateId, rollout.id));
  const [done, setDone] = useState(false);
  if (!done && poll.data && poll.data.status !== 'running') {
    setDone(true);
    rolloutDone(rollout.templateId, poll.data.results.map((item) => item.tenantId));
  }
  return html`<${RolloutProgress} templateId=${rollout.templateId} rolloutId=${rollout.id} names=${names} />`;
}

// a tenant's parameters that name its own objects, by their names
const NAMED = {
  assignments: (tenantId, value) => value.map((one) => html`<${GroupName} tenantId=${tenantId} groupId=${one.groupId} /> `),
  groupIds: (tenantId, value) => value.map((id) => html`<${GroupName} tenantId=${tenantId} groupId=${id} /> `),
  siteId: (tenantId, id) => html`<${NameOf} path=${tenantPath(tenantId, 'sites', id)} id=${id} kind="Site" />`,
  imageSetId: (tenantId, id) => html`<${NameOf} path=${tenantPath(tenantId, 'imageSets', id)} id=${id} kind="Image set" />`,
};

/** A field's value in words; a tenant's groups, site and image set by their names. */
export function FieldValue({ tenantId, name, value }) {
  return NAMED[name] && value ? NAMED[name](tenantId, value) : html`<span class="value">${valueText(value)}</span>`;
}

function Parameters({ tenantId, parameters }) {
  const entries = Object.entries(parameters);
  if (!entries.length) return 'None';
  return html`<ul class="plain">${entries.map(([name, value]) => html`<li><strong>${words(name)}</strong>:
    <${FieldValue} tenantId=${tenantId} name=${name} value=${value} /></li>`)}</ul>`;
}

/** One tenant's application: its object, version, drift field by field, overrides. */
function Application({ application, names, templateId, showTemplate = false }) {
  const behind = application.version < application.latestVersion;
  const title = showTemplate ? application.templateName : names[application.tenantId] || application.tenantId;
  return html`<section class="card wide" aria-label=${title}>
    <h3>${showTemplate ? html`<a href=${templateLink(application.templateId)}>${title}</a>` : title}</h3>
    <${Details} items=${[
      ['Object', `${KIND_NAMES[application.kind] || words(application.kind)} ${application.objectName}${application.objectMissing ? ' (no longer there)' : ''}`],
      ['Version', `${application.version}${behind ? ` (latest is ${application.latestVersion})` : ' (latest)'}`],
      ['Applied', dateTime(application.appliedDateTime)],
      ['Parameters', html`<${Parameters} tenantId=${application.tenantId} parameters=${application.parameters} />`],
    ]} />
    ${application.drift.length
      ? html`<${Notice} kind="warning">${application.drift.length === 1 ? '1 field differs' : `${application.drift.length} fields differ`} from the template.</${Notice}>
        <${DriftTable} application=${application} templateId=${templateId} />`
      : html`<p>No drift: the object is as the template says.</p>`}
    <${Overrides} application=${application} />
    ${!showTemplate && can('applyTemplate') && html`<${Reapply} application=${application} names=${names} />`}
  </section>`;
}

const useTenantNames = () => Object.fromEntries((useResource(tenantList).data || []).map((tenant) => [tenant.id, tenant.displayName]));

function TemplatePage({ params }) {
  const { templateId } = params;
  const poll = useResource(template(templateId));
  const applications = useResource(templateApplications(templateId));
  const names = useTenantNames();
  const found = poll.data;
  const back = html`<p><a href=${href('/templates')}>Back to the templates</a></p>`;
  if (!found) return html`<${Page} title="Template"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}${back}</${Page}>`;
  const drifting = (applications.data || []).filter((one) => one.drift.length).length;
  return html`<${Page} title=${found.displayName} subtitle=${found.description || `${aTemplateOf(found.kind)}.`}
      actions=${html`<${AsOf} poll=${applications} />${can('applyTemplate') && html`<a class="button primary"
        href=${href('/templates/:templateId/apply', { templateId })}>Review and apply</a>`}
      ${can('updateTemplate') && html`<a class="button secondary" href=${href('/templates/:templateId/edit', { templateId })}>Edit</a>`}`}>
    <${ErrorBanner} error=${poll.error} />
    <${Details} items=${[
      ['Kind', KIND_NAMES[found.kind] || words(found.kind)],
      ['Version', found.version],
      ['Each tenant fills in', found.parameters.length ? found.parameters.map(words).join(', ') : 'Nothing'],
      ['Applied to', applications.data ? `${plural(applications.data.length, 'tenant')}, ${drifting} with drift` : '…'],
      ['Modified', dateTime(found.lastModifiedDateTime)],
    ]} />
    <${Versions} key=${found.version} found=${found} />
    <section aria-labelledby="applications-title">
      <h2 id="applications-title">Tenants and drift</h2>
      <${ErrorBanner} error=${applications.error} />
      ${applications.data && !applications.data.length && html`<p class="muted">Not applied to any tenant yet.</p>`}
      ${(applications.data || []).map((application) => html`<${Application} key=${application.tenantId} application=${application}
        names=${names} templateId=${templateId} />`)}
    </section>
    ${back}
  </${Page}>`;
}

function TenantTemplates({ params }) {
  const { tenantId } = params;
  const poll = useResource(appliedTemplates(tenantId));
  return html`<${Page} title="Templates" subtitle="The organization's templates applied to this tenant, what differs from them, and the differences kept."
      actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} />
    ${poll.data && !poll.data.length && html`<p class="muted">No template is applied to this tenant.</p>`}
    ${(poll.data || []).map((application) => html`<${Application} key=${application.templateId} application=${application}
      names=${{}} templateId=${application.templateId} showTemplate />`)}
  </${Page}>`;
}

page('/templates', Templates, { needs: 'listTemplates', doing: 'see the templates' });
page('/templates/:templateId', TemplatePage, { needs: 'getTemplate', doing: 'see a template' });
page('/tenants/:tenantId/templates', TenantTemplates, { needs: 'listAppliedTemplates', doing: "see this tenant's templates" });
