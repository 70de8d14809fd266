// A tenant's alert rules, and the organization's that watch every tenant: the list, and the form that creates or
// edits one (kind, severity, threshold, channels), each of the server's refusals at its field.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { can } from '../access.js';
import { go, href, page } from '../router.js';
import { ActionButton, AsOf, DataTable, Details, ErrorBanner, FIELD_PROBLEM, Field, Notice, Page, confirm } from '../ui.js';
import {
  CHANNEL_KINDS, KINDS, ORGANIZATION, channelKindsOf, newChannel, ruleBody, ruleErrors, ruleFields, ruleOperation, ruleValues, rulesPattern,
  thresholdUnit,
} from '../lib/alerts.js';
import { dateTime, words } from '../lib/format.js';
import { alertRule, alertRuleList, createAlertRule, deleteAlertRule, updateAlertRule } from '../models/alerts.js';
import { useResource } from '../models/resource.js';
import { ALERT_RULE_KINDS, ALERT_RULE_RANGES, ALERT_SEVERITIES } from '../vocabulary.js';
import { SeverityBadge } from './alerts.js';

const NO_ERRORS = { fields: {}, general: [] };
const ADD_CHANNEL = { webhook: 'Add a webhook', teams: 'Add a Teams webhook', email: 'Add e-mail' };

function channelWhere(channel) {
  if (channel.kind === 'email') return `From ${channel.mailbox} to ${channel.to.join(', ')}`;
  return channel.url ? new URL(channel.url).host : '';
}

const channelList = (rule) => (rule.channels.length
  ? rule.channels.map((channel) => html`<div>${CHANNEL_KINDS[channel.kind]} <span class="muted">${channelWhere(channel)}</span></div>`)
  : html`<span class="muted">None: shown in the portal only</span>`);

/** Delete after a confirm; `onDone(error)` with null once deleted. */
async function remove(tenantId, rule, onDone) {
  const question = `Delete the alert rule ${rule.displayName}? Its open alerts are resolved, and its webhooks' secrets deleted.`;
  if (!(await confirm(question, { title: 'Delete alert rule?', confirmLabel: 'Delete' }))) return;
  try {
    await deleteAlertRule(tenantId, rule);
    onDone(null);
  } catch (error) {
    onDone(error);
  }
}

function AlertRules({ params, query }) {
  const { tenantId } = params;
  const poll = useResource(alertRuleList(tenantId));
  const [error, setError] = useState(null);
  const [deleted, setDeleted] = useState(null);
  const link = (rule) => href(rulesPattern(tenantId, '/:alertRuleId'), { tenantId, alertRuleId: rule.id });
  const columns = [
    { label: 'Name', render: (rule) => html`<a href=${link(rule)}>${rule.displayName}</a>` },
    { label: 'Watches', render: (rule) => html`${words(rule.kind)}${thresholdUnit(rule.kind) && rule.threshold !== null
      ? html`<div class="detail muted">Threshold ${rule.threshold.toLocaleString()} ${thresholdUnit(rule.kind)}</div>` : null}` },
    { label: 'Severity', render: (rule) => html`<${SeverityBadge} severity=${rule.severity} />` },
    { label: 'Channels', render: channelList },
    { label: 'Enabled', render: (rule) => (rule.enabled ? 'Yes' : 'No') },
    { label: 'Modified', render: (rule) => dateTime(rule.lastModifiedDateTime) },
    ...(can(ruleOperation('deleteAlertRule', tenantId), tenantId) ? [{ label: 'Actions', render: (rule) => html`<${ActionButton} kind="subtle"
      label=${`Delete ${rule.displayName}`} busyLabel="Deleting…"
      onClick=${() => remove(tenantId, rule, (failure) => { setError(failure); setDeleted(failure ? null : rule.displayName); })}>Delete</${ActionButton}>` }] : []),
  ];
  const create = can(ruleOperation('createAlertRule', tenantId), tenantId)
    && html`<a class="button primary" href=${href(rulesPattern(tenantId, '/new'), { tenantId })}>Create alert rule</a>`;
  const organization = tenantId === ORGANIZATION;
  const [title, subtitle] = organization
    ? ['Alert rules for every tenant', "Rules the organization keeps: each watches every tenant, and sends to the MSP's own webhooks and Teams channels."]
    : ['Alert rules', 'What raises an alert in this tenant, how severe it is, and where its notices go.'];
  return html`<${Page} title=${title} subtitle=${subtitle}
      actions=${html`<${AsOf} poll=${poll} />${create}`}>
    <${ErrorBanner} error=${poll.error} />
    <${ErrorBanner} error=${error} title="Not deleted" />
    ${query.saved && html`<${Notice} kind="success">Saved ${query.saved}.</${Notice}>`}
    ${deleted && html`<${Notice} kind="success">Deleted ${deleted}.</${Notice}>`}
    <${DataTable} caption="Alert rules" columns=${columns} rows=${poll.data} empty="No alert rules yet: nothing raises an alert." />
    ${organization
      ? html`<p class="muted">A rule each customer keeps as its own, e-mailing from its mailbox, comes from an <a href=${href('/templates')}>alert rule template</a>.</p>`
      : html`<p><a href=${href('/tenants/:tenantId/alerts', { tenantId })}>See the alerts</a></p>`}
  </${Page}>`;
}

/** The form's values and the server's errors, with `form` for `Field`: a channel's field is named `channels.0.url`. */
function useRuleForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState(NO_ERRORS);
  const flat = { ...values };
  values.channels.forEach((channel, index) => {
    for (const [name, value] of Object.entries(channel)) flat[`channels.${index}.${name}`] = value;
  });
  const set = (name, value) => {
    setErrors((old) => {
      const fields = { ...old.fields };
      delete fields[name];
      return { ...old, fields };
    });
    const found = /^channels\.(\d+)\.(\w+)$/.exec(name);
    setValues((old) => (found
      ? { ...old, channels: old.channels.map((channel, index) => (index === Number(found[1]) ? { ...channel, [found[2]]: value } : channel)) }
      : { ...old, [name]: value }));
  };
  const channels = (change) => {
    setErrors(NO_ERRORS); // the server's messages name channels by their place, which has moved
    setValues((old) => ({ ...old, channels: change(old.channels) }));
  };
  return { form: { values: flat, errors, set }, values, channels, fail: (error) => setErrors(ruleErrors(error, ruleFields(values.channels))) };
}

function ChannelFields({ form, channel, index, editing, onRemove }) {
  const name = (field) => `channels.${index}.${field}`;
  const title = `Channel ${index + 1}: ${CHANNEL_KINDS[channel.kind]}`;
  return html`<fieldset class="channel">
    <legend>${title}</legend>
    ${channel.kind === 'webhook' && html`
      <${Field} form=${form} name=${name('url')} label="Webhook URL" type="url" required placeholder="https://hooks.contoso.com/alerts"
        hint="Each notice is POSTed here as JSON, signed with the secret (HMAC-SHA256, in the X-CloudPC-Signature header)." />
      <${Field} form=${form} name=${name('secret')} label="Signing secret" type="password" autocomplete="new-password" required=${!channel.secretSet}
        hint=${editing && channel.secretSet ? 'Leave empty to keep the secret it has. Kept in the key vault and never shown again.'
          : 'At least 16 characters, which the receiver checks the signature with. Kept in the key vault and never shown again.'} />`}
    ${channel.kind === 'teams' && html`
      <${Field} form=${form} name=${name('url')} label="Teams incoming webhook URL" type="url" required placeholder="https://contoso.webhook.office.com/…"
        hint="The address of an incoming webhook of a Teams channel: each notice is posted there as a card." />`}
    ${channel.kind === 'email' && html`
      <${Field} form=${form} name=${name('mailbox')} label="Sender mailbox" type="email" required placeholder="alerts@contoso.com"
        hint="A user or shared mailbox of the customer's tenant that the app sends from (the onboarding report then asks for Mail.Send)." />
      <${Field} form=${form} name=${name('to')} label="Recipients" required placeholder="ops@contoso.com, it@contoso.com"
        hint="The addresses each notice goes to, separated by commas." />`}
    <button type="button" class="button subtle" onClick=${onRemove}>Remove channel ${index + 1}</button>
  </fieldset>`;
}

function RuleForm({ tenantId, rule }) {
  const editing = Boolean(rule);
  const { form, values, channels, fail } = useRuleForm(ruleValues(rule));
  const [deleteError, setDeleteError] = useState(null);
  const frame = useRef(null);
  const unit = thresholdUnit(values.kind);
  const range = ALERT_RULE_RANGES.threshold;
  const save = async () => {
    try {
      const body = ruleBody(values, { editing });
      const saved = editing ? await updateAlertRule(tenantId, rule, body) : await createAlertRule(tenantId, body);
      go(rulesPattern(tenantId), { tenantId }, { saved: saved.displayName });
    } catch (error) {
      fail(error);
      // the first field the server refused takes the focus once its message is shown
      setTimeout(() => frame.current?.querySelector(FIELD_PROBLEM)?.focus());
    }
  };
  const kindOptions = ALERT_RULE_KINDS.map((kind) => ({ value: kind, label: words(kind) }));
  return html`<form class="card wide" ref=${frame} onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="rule-form-title" novalidate>
    <h2 id="rule-form-title">${editing ? 'Edit the rule' : 'The rule'}</h2>
    <${ErrorBanner} error=${form.errors.general} title="Not saved" />
    <${Field} form=${form} name="displayName" label="Name" required />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows=${2} hint="Optional: why the rule is there, for the next admin." />
    ${editing
      ? html`<${Details} items=${[['Watches', html`${words(rule.kind)}<div class="detail muted">${KINDS[rule.kind]?.watches}</div>`]]} />`
      : html`<${Field} form=${form} name="kind" label="Watches" type="select" options=${kindOptions} hint=${KINDS[values.kind]?.watches} />`}
    <${Field} form=${form} name="severity" label="Severity" type="select"
      options=${ALERT_SEVERITIES.map((severity) => ({ value: severity, label: words(severity) }))} />
    ${unit && html`<${Field} form=${form} name="threshold" label=${`Threshold (${unit})`} type="number" required
      hint=${`A whole number of ${unit}, from ${range.minimum} to ${range.maximum.toLocaleString()}.`} />`}
    <${Field} form=${form} name="enabled" label="Enabled: the rule raises alerts" type="checkbox" />
    <h3>Channels</h3>
    <p class="muted">Where each alert's notices go when it is raised and when it resolves. A rule without channels shows its alerts in the portal only.</p>
    ${values.channels.map((channel, index) => html`<${ChannelFields} key=${index} form=${form} channel=${channel} index=${index} editing=${editing}
      onRemove=${() => channels((list) => list.filter((_, at) => at !== index))} />`)}
    <div class="toolbar">
      ${channelKindsOf(tenantId).map((kind) => html`<button type="button" class="button secondary"
        onClick=${() => channels((list) => [...list, newChannel(kind)])}>${ADD_CHANNEL[kind]}</button>`)}
    </div>
    <div class="wizard-actions">
      <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">${editing ? 'Save changes' : 'Create alert rule'}</${ActionButton}>
      ${editing && can(ruleOperation('deleteAlertRule', tenantId), tenantId) && html`<${ActionButton} kind="danger" busyLabel="Deleting…"
        onClick=${() => remove(tenantId, rule, (failure) => (failure ? setDeleteError(failure) : go(rulesPattern(tenantId), { tenantId })))}>Delete rule</${ActionButton}>`}
    </div>
    <${ErrorBanner} error=${deleteError} title="Not deleted" />
  </form>`;
}

function NewRule({ params }) {
  const { tenantId } = params;
  const title = tenantId === ORGANIZATION ? 'Create an alert rule for every tenant' : 'Create an alert rule';
  return html`<${Page} title=${title} subtitle="What to watch, how severe it is, and where its notices go.">
    <${RuleForm} tenantId=${tenantId} />
    <p><a href=${href(rulesPattern(tenantId), { tenantId })}>Cancel and go back to the rules</a></p>
  </${Page}>`;
}

function RulePage({ params }) {
  const { tenantId, alertRuleId } = params;
  const poll = useResource(alertRule(tenantId, alertRuleId));
  const rule = poll.data;
  const back = html`<p><a href=${href(rulesPattern(tenantId), { tenantId })}>Back to the rules</a></p>`;
  if (!rule) return html`<${Page} title="Alert rule"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}${back}</${Page}>`;
  const readOnly = !can(ruleOperation('updateAlertRule', tenantId), tenantId) && html`<${Details} items=${[
    ['Watches', html`${words(rule.kind)}<div class="detail muted">${KINDS[rule.kind]?.watches}</div>`],
    ['Severity', html`<${SeverityBadge} severity=${rule.severity} />`],
    thresholdUnit(rule.kind) && ['Threshold', `${rule.threshold} ${thresholdUnit(rule.kind)}`],
    ['Enabled', rule.enabled ? 'Yes' : 'No'],
    ['Channels', channelList(rule)],
  ]} />`;
  // a 412's re-read brings the version another admin saved: the form keeps what this one typed, and saves over that
  const template = tenantId !== ORGANIZATION && can('createTemplate') && html`<a class="button secondary"
    href=${href('/templates/new', {}, { kind: 'alertRule', tenantId, objectId: rule.id })}>Make a template</a>`;
  return html`<${Page} title=${rule.displayName} subtitle=${rule.description || KINDS[rule.kind]?.watches}
      actions=${html`<${AsOf} poll=${poll} />${template}`}>
    <${ErrorBanner} error=${poll.error} />
    ${readOnly || html`<${RuleForm} tenantId=${tenantId} rule=${rule} />`}
    ${back}
  </${Page}>`;
}

/** A page of the organization's rules: the tenant's page, with the organization in the tenant's place. */
const ofOrganization = (Shown) => ({ params, query }) => html`<${Shown} params=${{ ...params, tenantId: ORGANIZATION }} query=${query} />`;

page('/tenants/:tenantId/alertRules', AlertRules, { needs: 'listAlertRules', doing: 'see the alert rules' });
// registered before the rule's page so that "new" is not taken for an id
page('/tenants/:tenantId/alertRules/new', NewRule, { needs: 'createAlertRule', doing: 'create an alert rule' });
page('/tenants/:tenantId/alertRules/:alertRuleId', RulePage, { needs: 'getAlertRule', doing: 'see an alert rule' });
page('/alertRules', ofOrganization(AlertRules), { needs: 'listOrganizationAlertRules', doing: 'see the alert rules for every tenant' });
page('/alertRules/new', ofOrganization(NewRule), { needs: 'createOrganizationAlertRule', doing: 'create an alert rule for every tenant' });
page('/alertRules/:alertRuleId', ofOrganization(RulePage), { needs: 'getOrganizationAlertRule', doing: 'see an alert rule for every tenant' });
