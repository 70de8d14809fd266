// Making a template from a tenant's provisioning policy, Spot Group or alert rule (its fields pre-filled from the object's body,
// each one ticked as a parameter or kept as every tenant's value), and editing a template's fields and parameters,
// which makes its next version. The server's refusals are shown at their fields.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { go, href, page } from '../router.js';
import { ActionButton, ErrorBanner, FIELD_PROBLEM, Field, Page } from '../ui.js';
import { errorsByField } from '../lib/errors.js';
import { words } from '../lib/format.js';
import { aTemplateOf, kindInText, fieldText, fieldsOf, templateBody } from '../lib/templates.js';
import { alertRule } from '../models/alerts.js';
import { policy } from '../models/policies.js';
import { useResource } from '../models/resource.js';
import { spotGroup } from '../models/spot-groups.js';
import { createTemplate, template, updateTemplate } from '../models/templates.js';
import { TEMPLATE_FIELDS } from '../vocabulary.js';

const NO_ERRORS = { fields: {}, general: [] };
const emailOnly = (rule) => ({
  ...rule,
  channels: rule.channels.filter((channel) => channel.kind === 'email').map(({ kind, mailbox, to }) => ({ kind, mailbox, to })),
});
const rowsOf = (fields, parameters = []) => [
  ...Object.entries(fields).map(([name, value]) => ({ name, original: value, text: fieldText(value), parameter: false })),
  ...parameters.map((name) => ({ name, original: undefined, text: '', parameter: true })),
];

/** The server's targets as the form names its controls: `parameters[1]` is the field ticked second. */
function formErrors(error, parameters) {
  const found = errorsByField(error);
  const fields = {};
  for (const [target, message] of Object.entries(found.fields)) {
    const parameter = /^parameters\.(\d+)$/.exec(target);
    const name = parameter ? `fields.${parameters[Number(parameter[1])]}` : target.replace(/^(fields\.[^.]+)\..*$/, '$1');
    const said = message.replace(/^(\w+): (\w)/, (whole, field, first) => (name.toLowerCase().endsWith(field.toLowerCase()) ? first.toUpperCase() : whole));
    fields[name] = fields[name] ? `${fields[name]} ${said}` : said;
  }
  return { fields, general: found.general };
}

function TemplateForm({ kind, initial, onSave, saveLabel }) {
  const [draft, setDraft] = useState(initial);
  const [errors, setErrors] = useState(NO_ERRORS);
  const frame = useRef(null);
  const values = { displayName: draft.displayName, description: draft.description };
  for (const row of draft.rows) {
    values[`fields.${row.name}`] = row.text;
    values[`parameter.${row.name}`] = row.parameter;
  }
  const set = (name, value) => {
    setErrors((old) => ({ ...old, fields: { ...old.fields, [name]: undefined } }));
    const [part, field] = name.split(/\.(.*)/s);
    setDraft((old) => (field === undefined ? { ...old, [name]: value } : {
      ...old, rows: old.rows.map((row) => (row.name === field ? { ...row, [part === 'fields' ? 'text' : 'parameter']: value } : row)),
    }));
  };
  const form = { values, errors, set };
  const save = async () => {
    const body = templateBody(draft);
    try {
      await onSave(body);
    } catch (error) {
      setErrors(formErrors(error, body.parameters));
      setTimeout(() => frame.current?.querySelector(FIELD_PROBLEM)?.focus());
    }
  };
  return html`<form class="card wide" ref=${frame} novalidate onSubmit=${(event) => { event.preventDefault(); save(); }}>
    <${ErrorBanner} error=${errors.general} title="Not saved" />
    <${Field} form=${form} name="displayName" label="Template name" required />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows=${2} hint="Optional: what the standard is for." />
    <h2>Fields</h2>
    <p class="muted">Each field is every tenant's value, unless ticked: then each tenant fills it in when the template is applied.
      Text fields take text; the others take the value as JSON. Empty: not set.</p>
    ${draft.rows.map((row) => html`<fieldset class="template-field" key=${row.name}>
      <legend>${words(row.name)}</legend>
      <${Field} form=${form} name=${`parameter.${row.name}`} type="checkbox" label="Each tenant fills it in" />
      ${!row.parameter && html`<${Field} form=${form} name=${`fields.${row.name}`} label=${`${words(row.name)} value`}
        type=${row.text.length > 60 ? 'textarea' : 'text'} rows=${3} />`}
      ${row.parameter && form.errors.fields[`fields.${row.name}`] && html`<p class="field-error">${form.errors.fields[`fields.${row.name}`]}</p>`}
    </fieldset>`)}
    <p class="muted">${aTemplateOf(kind)}.</p>
    <div class="wizard-actions">
      <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">${saveLabel}</${ActionButton}>
    </div>
  </form>`;
}

const SOURCES = {
  provisioningPolicy: { store: policy, body: (data) => data, name: (body) => body.displayName },
  spotGroup: { store: spotGroup, body: (data) => data.group, name: (body) => body.friendlyName },
  // a webhook's secret and a Teams address are credentials, which a template never keeps: its e-mail channels only
  alertRule: { store: alertRule, body: emailOnly, name: (body) => body.displayName },
};

function NewTemplate({ query }) {
  const source = SOURCES[query.kind];
  const poll = useResource(source && query.tenantId && query.objectId ? source.store(query.tenantId, query.objectId) : null);
  const body = poll.data && source.body(poll.data);
  if (!source) return html`<${Page} title="Make a template"><p>Make a template from a provisioning policy's, a Spot Group's or an alert rule's page.</p></${Page}>`;
  if (!body) return html`<${Page} title="Make a template"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}</${Page}>`;
  const initial = { displayName: source.name(body), description: '', rows: rowsOf(fieldsOf(body, TEMPLATE_FIELDS[query.kind])) };
  const create = async (made) => {
    const saved = await createTemplate({ ...made, kind: query.kind });
    go('/templates/:templateId', { templateId: saved.id });
  };
  return html`<${Page} title="Make a template" subtitle=${`From the ${kindInText(query.kind)} ${source.name(body)}: its fields, for every tenant the template is applied to.`}>
    <${TemplateForm} kind=${query.kind} initial=${initial} onSave=${create} saveLabel="Create template" />
  </${Page}>`;
}

function EditTemplate({ params }) {
  const { templateId } = params;
  const poll = useResource(template(templateId));
  const found = poll.data;
  if (!found) return html`<${Page} title="Edit template"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}</${Page}>`;
  const initial = { displayName: found.displayName, description: found.description || '', rows: rowsOf(found.fields, found.parameters) };
  const save = async (body) => {
    await updateTemplate(found, body);
    go('/templates/:templateId', { templateId });
  };
  // a 412's re-read brings the version another owner saved: the form keeps what this one typed, and saves over that
  return html`<${Page} title=${`Edit ${found.displayName}`} subtitle=${`Version ${found.version}: a change of its fields or parameters makes version ${found.version + 1}, which no tenant gets until it is applied.`}>
    <${TemplateForm} kind=${found.kind} initial=${initial} onSave=${save} saveLabel="Save as a new version" />
    <p><a href=${href('/templates/:templateId', { templateId })}>Cancel and go back to the template</a></p>
  </${Page}>`;
}

// registered before the template's page so that "new" is not taken for an id
page('/templates/new', NewTemplate, { needs: 'createTemplate', doing: 'make a template' });
page('/templates/:templateId/edit', EditTemplate, { needs: 'updateTemplate', doing: 'edit a template' });
