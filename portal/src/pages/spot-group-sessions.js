// A Spot Group's sessions: who is signed in where, found by user, state or host, and a message, disconnect or log-off for many at once.
import { html } from 'htm/preact';
import { signal } from '@preact/signals';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { can } from '../access.js';
import { href, setQuery } from '../router.js';
import { ActionButton, AsOf, DataTable, ErrorBanner, Field, Page, ScrollRegion, StatusBadge, confirm, useForm } from '../ui.js';
import { dateTime, plural, words } from '../lib/format.js';
import { ACTION_LABELS, actionQuestion, lengthNote, resultHeadline, resultRows } from '../lib/spot-sessions.js';
import { useResource } from '../models/resource.js';
import { spotGroup } from '../models/spot-groups.js';
import { actOnSessions, sessionList } from '../models/spot-sessions.js';
import { SESSION_MESSAGE_MAX_LENGTHS, SESSION_STATES } from '../vocabulary.js';

const SESSIONS = '/tenants/:tenantId/spotGroups/:spotGroupId/sessions';
const sessions = (count) => plural(count, 'session');

function Filters({ tenantId, spotGroupId, query, hosts }) {
  const [search, setSearch] = useState(query.search || '');
  const apply = (changes) => setQuery({ ...query, ...changes });
  const filtered = query.search || query.state || query.host;
  return html`<div class="toolbar session-filters">
    <form role="search" aria-label="Sessions" class="search-form" onSubmit=${(event) => { event.preventDefault(); apply({ search: search.trim() }); }}>
      <div class="field">
        <label for="session-search">Search by user</label>
        <input id="session-search" type="search" value=${search} maxlength="100" placeholder="Part of a user name"
          aria-describedby="session-search-hint" onInput=${(event) => setSearch(event.currentTarget.value)} />
        <span class="visually-hidden" id="session-search-hint">Finds the sessions whose user principal name holds this text, in any case.</span>
      </div>
      <button type="submit" class="button secondary">Search</button>
    </form>
    <div class="field">
      <label for="session-state">State</label>
      <select id="session-state" value=${query.state || ''} onChange=${(event) => apply({ state: event.currentTarget.value })}>
        <option value="">Any state</option>
        ${SESSION_STATES.map((state) => html`<option value=${state}>${words(state)}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="session-host">Session host</label>
      <select id="session-host" value=${query.host || ''} onChange=${(event) => apply({ host: event.currentTarget.value })}>
        <option value="">Any host</option>
        ${(hosts || []).map((host) => html`<option value=${host.name}>${host.name} (${sessions(host.sessionCount)})</option>`)}
        ${query.host && !(hosts || []).some((host) => host.name === query.host) && html`<option value=${query.host}>${query.host}</option>`}
      </select>
    </div>
    ${filtered && html`<a class="button subtle" href=${href(SESSIONS, { tenantId, spotGroupId })}>Clear filters</a>`}
  </div>`;
}

/** The message's title and text, with their limits, in a dialog of its own; the server's messages land at their fields. */
function MessageDialog({ count, onSend, onClose }) {
  const dialog = useRef(null);
  const form = useForm({ title: '', message: '' });
  useEffect(() => {
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);
  const send = async () => {
    form.clear();
    try {
      await onSend({ title: form.values.title, message: form.values.message });
    } catch (error) {
      form.fail(error);
    }
  };
  const limits = SESSION_MESSAGE_MAX_LENGTHS;
  return html`<dialog ref=${dialog} class="confirm message-dialog" aria-labelledby="message-title" onCancel=${(event) => { event.preventDefault(); onClose(); }}>
    <form onSubmit=${(event) => { event.preventDefault(); send(); }}>
      <h2 id="message-title">Send a message to ${count === 1 ? 'one user' : `${count} users`}</h2>
      <p class="muted">It opens as a dialog in their session. One line each.</p>
      <${ErrorBanner} error=${form.errors.general} title="Not sent" />
      <${Field} form=${form} name="title" label="Title" required maxLength=${limits.title}
        hint=${`At most ${limits.title} characters: ${lengthNote(form.values.title, limits.title)}.`} />
      <${Field} form=${form} name="message" label="Message" type="textarea" rows="3" required maxLength=${limits.message}
        hint=${`At most ${limits.message} characters: ${lengthNote(form.values.message, limits.message)}.`} />
      <div class="dialog-actions">
        <${ActionButton} type="submit" kind="primary" onClick=${send} busyLabel="Sending…">Send to ${sessions(count)}</${ActionButton}>
        <button type="button" class="button secondary" onClick=${onClose}>Cancel</button>
      </div>
    </form>
  </dialog>`;
}

function SessionActions({ selection, run }) {
  const [writing, setWriting] = useState(false);
  const [error, setError] = useState(null);
  const ids = [...selection.value];
  if (!ids.length) return html`<p class="muted bulk-hint">Select sessions to send their users a message, disconnect them or log them off, several at once.</p>`;
  const act = async (action) => {
    setError(null);
    const question = actionQuestion(action, ids.length);
    if (!(await confirm(question.message, question))) return;
    try {
      await run(action, ids);
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<section class="bulk-bar" aria-labelledby="session-bulk-heading">
    <h2 id="session-bulk-heading" class="bulk-heading">${sessions(ids.length)} selected</h2>
    <div class="bulk-controls">
      <button type="button" class="button secondary" onClick=${() => setWriting(true)}>Send a message…</button>
      <${ActionButton} onClick=${() => act('disconnect')} busyLabel="Disconnecting…">Disconnect…</${ActionButton}>
      <${ActionButton} kind="danger" onClick=${() => act('logOff')} busyLabel="Logging off…">Log off…</${ActionButton}>
      <button type="button" class="button subtle" onClick=${() => { selection.value = new Set(); }}>Clear selection</button>
    </div>
    <${ErrorBanner} error=${error} title="Not done" />
    ${writing && html`<${MessageDialog} count=${ids.length} onClose=${() => setWriting(false)}
      onSend=${async (text) => { await run('sendMessage', ids, text); setWriting(false); }} />`}
  </section>`;
}

/** Each session's result of the last action: a gone one says so on its own row. The heading takes the focus. */
function Results({ outcome, onDismiss }) {
  const heading = useRef(null);
  useEffect(() => { heading.current?.focus(); }, [outcome]);
  const { answer, rows } = outcome;
  const kind = answer.status === 'succeeded' ? 'success' : answer.status === 'failed' ? 'error' : 'warning';
  return html`<section class="card wide" aria-labelledby="session-results-heading">
    <h2 id="session-results-heading" ref=${heading} tabindex="-1">${ACTION_LABELS[answer.action]}: ${sessions(rows.length)}</h2>
    <div class=${`banner ${kind}`} role="status"><strong>${resultHeadline(answer)}</strong></div>
    <${ScrollRegion} label="Each session's result"><table>
      <caption>Each session's result</caption>
      <thead><tr><th scope="col">User</th><th scope="col">Host</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
      <tbody>${rows.map((row) => html`<tr key=${row.sessionId}>
        <td>${row.userPrincipalName}</td><td>${row.sessionHostName}</td>
        <td><${StatusBadge} status=${row.status} /></td>
        <td>${row.reason || 'Done.'}${row.statusCode !== 204 ? html` <span class="muted">(${row.statusCode})</span>` : null}</td></tr>`)}</tbody>
    </table></${ScrollRegion}>
    <button type="button" class="button subtle" onClick=${onDismiss}>Dismiss</button>
  </section>`;
}

export function SpotGroupSessionsPage({ params, query }) {
  const { tenantId, spotGroupId } = params;
  const group = useResource(spotGroup(tenantId, spotGroupId));
  const filters = { search: query.search, state: query.state, host: query.host };
  const store = sessionList(tenantId, spotGroupId, filters);
  const poll = useResource(store);
  // one selection for the page's life: it stays while the list refreshes and the filters change
  const selection = useMemo(() => signal(new Set()), [tenantId, spotGroupId]);
  const seen = useRef(new Map()); // id -> session: who a result is about once the session is gone from the list
  const [outcome, setOutcome] = useState(null);
  const rows = poll.data;
  for (const session of rows || []) seen.current.set(session.id, session);
  const name = group.data?.group?.friendlyName;
  const mayAct = can('bulkSessionAction', tenantId);
  if (group.data?.gone) {
    return html`<${Page} title="Spot Group not found"><p>There is no such Spot Group in this tenant: it was deleted, or the address is wrong.</p>
      <p><a href=${href('/tenants/:tenantId/spotGroups', { tenantId })}>All Spot Groups</a></p></${Page}>`;
  }
  const run = async (action, ids, text = {}) => {
    const answer = await actOnSessions(tenantId, spotGroupId, { action, sessionIds: ids, ...text }, store);
    selection.value = new Set();
    setOutcome({ answer, rows: resultRows(answer, seen.current) });
  };
  const columns = [
    { label: 'User', key: 'userPrincipalName' },
    { label: 'State', render: (session) => html`<${StatusBadge} status=${session.state} />` },
    { label: 'Session host', key: 'sessionHostName' },
    { label: 'Started', class: 'nowrap', render: (session) => dateTime(session.startDateTime) },
  ];
  const filtered = Object.values(filters).some(Boolean);
  return html`<${Page} title=${name ? `Sessions of ${name}` : 'Sessions'} subtitle="The users signed in to the group's session hosts, read live from the host pool."
      actions=${html`<${AsOf} poll=${poll} />`}>
    <p><a href=${href('/tenants/:tenantId/spotGroups/:spotGroupId', { tenantId, spotGroupId })}>${name || 'The Spot Group'}</a></p>
    <${Filters} key=${JSON.stringify(filters)} tenantId=${tenantId} spotGroupId=${spotGroupId} query=${query} hosts=${group.data?.hosts} />
    <${ErrorBanner} error=${poll.error} title="The sessions could not be read" />
    ${outcome && html`<${Results} outcome=${outcome} onDismiss=${() => setOutcome(null)} />`}
    ${mayAct && html`<${SessionActions} selection=${selection} run=${run} />`}
    <${DataTable} caption="Sessions" columns=${columns} rows=${rows} selection=${mayAct ? selection : null}
      rowLabel=${(session) => `${session.userPrincipalName} on ${session.sessionHostName}`}
      empty=${filtered ? 'No session matches these filters.' : 'Nobody is signed in to this group\'s hosts.'} />
  </${Page}>`;
}
