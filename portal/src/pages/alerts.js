// A tenant's alerts: the open ones first (or those of a status), one alert with its items and each channel's
// delivery, and Acknowledge.
import { html } from 'htm/preact';
import { signal } from '@preact/signals';
import { useMemo, useState } from 'preact/hooks';
import { can } from '../access.js';
import { tenantPath } from '../api.js';
import { href, page, setQuery } from '../router.js';
import { ActionButton, AsOf, DataTable, Details, ErrorBanner, NameOf, Notice, Page } from '../ui.js';
import { CHANNEL_KINDS, KINDS, deliveryWords, eventWords } from '../lib/alerts.js';
import { dateTime, forReaders, plural, words } from '../lib/format.js';
import { acknowledgeAlert, acknowledgeAlerts, alert as alertStore, alertList, alertRule } from '../models/alerts.js';
import { useResource } from '../models/resource.js';
import { ALERT_STATUSES } from '../vocabulary.js';

export function SeverityBadge({ severity }) {
  return html`<span class=${`badge severity-${severity}`}>${words(severity)}</span>`;
}

function AlertStatus({ alert }) {
  return html`<span class=${`badge alert-${alert.status}`}>${words(alert.status)}</span>
    ${alert.acknowledgedBy && html`<div class="detail muted">by ${alert.acknowledgedBy}</div>`}`;
}

/** Acknowledge, for a caller whose role may (operator and up), on an alert not acknowledged or resolved yet. */
function Acknowledge({ tenantId, alert, onDone }) {
  if (alert.status !== 'active' || !can('acknowledgeAlert', tenantId)) return null;
  const run = async () => {
    try {
      await acknowledgeAlert(tenantId, alert.id);
      onDone(null);
    } catch (error) {
      onDone(error);
    }
  };
  return html`<${ActionButton} kind="secondary" label=${`Acknowledge: ${alert.summary}`} onClick=${run} busyLabel="Acknowledging…">Acknowledge</${ActionButton}>`;
}

/** Acknowledges the active alerts among those selected, in one go; the selection empties once done. */
function BulkAcknowledge({ tenantId, alerts, selection, onDone }) {
  const chosen = alerts.filter((one) => selection.value.has(one.id) && one.status === 'active');
  if (!chosen.length) return null;
  const run = async () => {
    const failed = await acknowledgeAlerts(tenantId, chosen.map((one) => one.id));
    selection.value = new Set();
    onDone(failed[0] || null);
  };
  return html`<div class="toolbar"><${ActionButton} kind="primary" onClick=${run} busyLabel="Acknowledging…">
    Acknowledge ${plural(chosen.length, 'selected alert')}</${ActionButton}></div>`;
}

function StatusFilter({ value }) {
  return html`<div class="toolbar">
    <div class="field">
      <label for="alert-status">Show</label>
      <select id="alert-status" value=${value || ''} onChange=${(event) => setQuery({ status: event.currentTarget.value })}>
        <option value="">Open alerts (active and acknowledged)</option>
        ${ALERT_STATUSES.map((status) => html`<option value=${status}>${words(status)} alerts only</option>`)}
      </select>
    </div>
  </div>`;
}

function Alerts({ params, query }) {
  const { tenantId } = params;
  const poll = useResource(alertList(tenantId, query.status || ''));
  const [error, setError] = useState(null);
  const link = (alert) => href('/tenants/:tenantId/alerts/:alertId', { tenantId, alertId: alert.id });
  const acknowledging = can('acknowledgeAlert', tenantId) && (poll.data || []).some((alert) => alert.status === 'active');
  const selection = useMemo(() => signal(new Set()), [tenantId, query.status]); // kept while the list refreshes
  const columns = [
    { label: 'Severity', render: (alert) => html`<${SeverityBadge} severity=${alert.severity} />` },
    { label: 'Summary', render: (alert) => html`<a href=${link(alert)}>${alert.summary}</a>` },
    { label: 'Subject', key: 'subjectName' },
    { label: 'Count', class: 'number', render: (alert) => alert.count.toLocaleString() },
    { label: 'Raised', render: (alert) => dateTime(alert.raisedDateTime) },
    { label: 'Last seen', render: (alert) => dateTime(alert.lastSeenDateTime) },
    { label: 'Status', render: (alert) => html`<${AlertStatus} alert=${alert} />` },
    ...(acknowledging ? [{ label: 'Actions', render: (alert) => html`<${Acknowledge} tenantId=${tenantId} alert=${alert} onDone=${setError} />` }] : []),
  ];
  const rules = can('listAlertRules', tenantId) && html`<a class="button secondary" href=${href('/tenants/:tenantId/alertRules', { tenantId })}>Alert rules</a>`;
  const empty = query.status ? `No ${words(query.status).toLowerCase()} alerts.` : 'No open alerts: nothing any rule watches is wrong now.';
  return html`<${Page} title="Alerts" subtitle="What the tenant's alert rules found wrong, the most pressing first. An alert resolves itself once its condition clears."
      actions=${html`<${AsOf} poll=${poll} />${rules}`}>
    <${ErrorBanner} error=${poll.error} />
    <${ErrorBanner} error=${error} title="Not acknowledged" />
    <${StatusFilter} value=${query.status} />
    ${acknowledging && html`<${BulkAcknowledge} tenantId=${tenantId} alerts=${poll.data} selection=${selection} onDone=${setError} />`}
    <${DataTable} caption=${query.status ? `${words(query.status)} alerts, newest first` : 'Open alerts, the most pressing first'} columns=${columns} rows=${poll.data} empty=${empty}
      selection=${acknowledging ? selection : null} rowLabel=${(alert) => alert.summary} />
  </${Page}>`;
}

function Items({ tenantId, alert }) {
  if (!alert.items.length) return null;
  const more = alert.count > alert.items.length ? html`<p class="muted">${alert.items.length} of ${alert.count.toLocaleString()} shown.</p>` : null;
  if (!KINDS[alert.kind]?.cloudPcs) {
    return html`<section class="card wide" aria-labelledby="items-heading"><h2 id="items-heading">What it covers</h2>
      <ul>${alert.items.map((item) => html`<li key=${item}>${item}</li>`)}</ul>${more}</section>`;
  }
  return html`<section class="card wide" aria-labelledby="items-heading"><h2 id="items-heading">Cloud PCs</h2>
    <ul>${alert.items.map((id) => html`<li key=${id}><a href=${href('/tenants/:tenantId/cloudPCs/:cloudPcId', { tenantId, cloudPcId: id })}>
      <${NameOf} path=${tenantPath(tenantId, 'cloudPCs', id)} id=${id} kind="Cloud PC" /></a></li>`)}</ul>${more}</section>`;
}

function Deliveries({ alert, rule }) {
  const channel = (delivery) => {
    const found = rule?.channels?.[delivery.channel];
    const where = found?.url ? new URL(found.url).host : found?.to?.join(', ');
    return html`${CHANNEL_KINDS[delivery.kind] || words(delivery.kind)}${where ? html`<div class="detail muted">${where}</div>` : null}`;
  };
  const columns = [
    { label: 'Channel', render: channel },
    { label: 'Notice', render: (delivery) => eventWords(delivery.event) },
    { label: 'Status', render: (delivery) => html`<span class=${`badge delivery-${delivery.status}`}>${words(delivery.status)}</span>` },
    { label: 'What happened', render: (delivery) => forReaders(deliveryWords(delivery)) },
  ];
  return html`<section class="card wide" aria-labelledby="notices-heading"><h2 id="notices-heading">Notices sent</h2>
    <${DataTable} caption="Each channel's notices" columns=${columns} rows=${alert.deliveries}
      rowKey=${(delivery) => `${delivery.channel}-${delivery.event}`} empty="The rule has no channels: this alert is shown here only." /></section>`;
}

function AlertPage({ params }) {
  const { tenantId, alertId } = params;
  const poll = useResource(alertStore(tenantId, alertId));
  const alert = poll.data;
  const rule = useResource(alert ? alertRule(tenantId, alert.ruleId) : null).data;
  const [error, setError] = useState(undefined);
  const back = html`<p><a href=${href('/tenants/:tenantId/alerts', { tenantId })}>Back to the alerts</a></p>`;
  if (!alert) return html`<${Page} title="Alert"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}${back}</${Page}>`;
  return html`<${Page} title=${alert.summary} subtitle=${KINDS[alert.kind]?.watches}
      actions=${html`<${AsOf} poll=${poll} /><${Acknowledge} tenantId=${tenantId} alert=${alert} onDone=${setError} />`}>
    <${ErrorBanner} error=${poll.error} />
    <${ErrorBanner} error=${error} title="Not acknowledged" />
    ${error === null && html`<${Notice} kind="success">Acknowledged: it stays open until its condition clears.</${Notice}>`}
    <section class="card wide" aria-label="The alert"><${Details} items=${[
      ['Severity', html`<${SeverityBadge} severity=${alert.severity} />`],
      ['Status', html`<${AlertStatus} alert=${alert} />`],
      ['Subject', alert.subjectName],
      ['Count', alert.count.toLocaleString()],
      ['Rule', rule ? html`<a href=${href('/tenants/:tenantId/alertRules/:alertRuleId', { tenantId, alertRuleId: rule.id })}>${rule.displayName}</a>` : words(alert.kind)],
      ['Raised', dateTime(alert.raisedDateTime)],
      ['Last seen', dateTime(alert.lastSeenDateTime)],
      alert.acknowledgedDateTime && ['Acknowledged', `${dateTime(alert.acknowledgedDateTime)} by ${alert.acknowledgedBy}`],
      alert.resolvedDateTime && ['Resolved', dateTime(alert.resolvedDateTime)],
    ]} /></section>
    <${Items} tenantId=${tenantId} alert=${alert} />
    <${Deliveries} alert=${alert} rule=${rule} />
    ${back}
  </${Page}>`;
}

page('/tenants/:tenantId/alerts', Alerts, { needs: 'listAlerts', doing: 'see the alerts' });
page('/tenants/:tenantId/alerts/:alertId', AlertPage, { needs: 'getAlert', doing: 'see an alert' });
