// A Spot Group's decision timeline, all of it or one kind (power, scaling, sessions, health, other): what the optimization did to the hosts, and why.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ActionButton, AsOf, DataTable, ErrorBanner, Field, StatusBadge } from '../ui.js';
import { dateTime, words } from '../lib/format.js';
import { PHASE_WORDS } from '../lib/schedule.js';
import { ACTION_KINDS, kindActions } from '../lib/scaling.js';
import { mergePages } from '../lib/spot-sessions.js';
import { useResource } from '../models/resource.js';
import { moreEvents, spotGroupEvents } from '../models/spot-schedules.js';

const ACTION_WORDS = { start: 'Start', deallocate: 'Deallocate', drain: 'Drain', notify: 'Message users', logOff: 'Log off users',
  balanceLoad: 'Place new users', hibernate: 'Hibernate', cancelImageUpdate: 'Image update cancelled', create: 'Create host',
  delete: 'Delete host', evict: 'Evicted by Azure', heal: 'Replace unhealthy host', repair: 'Repair host' };

const outcome = (line) => html`<${StatusBadge} status=${line.outcome === 'done' ? 'succeeded' : 'failed'} label=${words(line.outcome)} />${line.error
  ? html` ${line.summary || ''} <code>${line.error}</code>` : null}`;

const KIND_OPTIONS = [{ value: '', label: 'Every decision' },
  ...ACTION_KINDS.map((kind) => ({ value: kind.id, label: `${kind.label}: ${kind.actions.map((action) => ACTION_WORDS[action] || words(action)).join(', ')}` }))];

/** The timeline, filtered by kind on the server (so "Load more" pages through that kind alone). */
export function Decisions({ tenantId, groupId }) {
  const [kind, setKind] = useState('');
  const chooser = { values: { kind }, set: (_, value) => setKind(value), errors: { fields: {} } };
  return html`<section class="card wide" aria-labelledby="decisions-heading">
    <div class="section-header"><h2 id="decisions-heading">Decisions</h2></div>
    <p class="muted">What the optimization did to the hosts every 5 minutes, by the schedule's phase (a pooled group) or while their users were away (a personal group), newest first, each with its reason.</p>
    <${Field} form=${chooser} name="kind" label="Show" type="select" options=${KIND_OPTIONS} />
    <${DecisionLines} key=${kind} tenantId=${tenantId} groupId=${groupId} actions=${kindActions(kind)} />
  </section>`;
}

function DecisionLines({ tenantId, groupId, actions }) {
  const poll = useResource(spotGroupEvents(tenantId, groupId, actions));
  const [more, setMore] = useState({ lines: [], nextLink: null, read: false }); // the pages read after the first
  const [error, setError] = useState(null);
  const lines = poll.data && mergePages(poll.data.value, more.lines);
  const nextLink = more.read ? more.nextLink : poll.data?.nextLink;
  const loadMore = async () => {
    setError(null);
    try {
      const page = await moreEvents(nextLink);
      setMore((old) => ({ lines: [...old.lines, ...page.value], nextLink: page.nextLink || null, read: true }));
    } catch (failure) {
      setError(failure);
    }
  };
  const columns = [
    { label: 'Time', class: 'nowrap', render: (line) => dateTime(line.dateTime) },
    { label: 'Host', key: 'host' },
    { label: 'Action', class: 'nowrap', render: (line) => ACTION_WORDS[line.action] || words(line.action) },
    { label: 'Phase', class: 'nowrap', render: (line) => (line.phase ? PHASE_WORDS[line.phase] || words(line.phase) : '—') },
    { label: 'Reason', key: 'reason' },
    { label: 'Outcome', class: 'nowrap', render: outcome },
  ];
  return html`<div class="decision-lines">
    <${AsOf} poll=${poll} />
    <${ErrorBanner} error=${poll.error || error} title="The timeline could not be read" />
    <${DataTable} caption="Decisions, newest first" columns=${columns} rows=${lines} rowKey=${(line) => line.id}
      empty=${actions ? 'No decisions of this kind yet.'
        : 'No decisions yet: the optimization writes a line each time it starts, drains, deallocates or logs off a host.'} />
    ${nextLink && html`<${ActionButton} onClick=${loadMore} busyLabel="Loading…">Load more</${ActionButton}>`}
  </div>`;
}
