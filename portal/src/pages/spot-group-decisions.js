// A Spot Group's decision timeline: what the optimization created, started, drained, deallocated, deleted, hibernated, notified and logged off, and why.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ActionButton, AsOf, DataTable, ErrorBanner, StatusBadge } from '../ui.js';
import { dateTime, words } from '../lib/format.js';
import { PHASE_WORDS } from '../lib/schedule.js';
import { mergePages } from '../lib/spot-sessions.js';
import { useResource } from '../models/resource.js';
import { moreEvents, spotGroupEvents } from '../models/spot-schedules.js';

const ACTION_WORDS = { start: 'Start', deallocate: 'Deallocate', drain: 'Drain', notify: 'Message users', logOff: 'Log off users',
  balanceLoad: 'Place new users', hibernate: 'Hibernate', cancelImageUpdate: 'Image update cancelled', create: 'Create host',
  delete: 'Delete host', evict: 'Evicted by Azure', heal: 'Replace unhealthy host', repair: 'Repair host' };

const outcome = (line) => html`<${StatusBadge} status=${line.outcome === 'done' ? 'succeeded' : 'failed'} label=${words(line.outcome)} />${line.error
  ? html` ${line.summary || ''} <code>${line.error}</code>` : null}`;

export function Decisions({ tenantId, groupId }) {
  const poll = useResource(spotGroupEvents(tenantId, groupId));
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
  return html`<section class="card wide" aria-labelledby="decisions-heading">
    <div class="section-header"><h2 id="decisions-heading">Decisions</h2> <${AsOf} poll=${poll} /></div>
    <p class="muted">What the optimization did to the hosts every 5 minutes, by the schedule's phase (a pooled group) or while their users were away (a personal group), newest first, each with its reason.</p>
    <${ErrorBanner} error=${poll.error || error} title="The timeline could not be read" />
    <${DataTable} caption="Decisions, newest first" columns=${columns} rows=${lines} rowKey=${(line) => line.id}
      empty="No decisions yet: the optimization writes a line each time it starts, drains, deallocates or logs off a host." />
    ${nextLink && html`<${ActionButton} onClick=${loadMore} busyLabel="Loading…">Load more</${ActionButton}>`}
  </section>`;
}
