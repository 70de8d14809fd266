// Choosing Entra groups by name (GET /tenants/{t}/directoryGroups?search=), or by object id when pasted.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { findGroups, groupPath } from './models/directory.js';
import { useSearchAsTyped } from './search-as-typed.js';
import { NameOf } from './ui.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
let pickers = 0;
// a chosen group known only by its id (an assignment read back, an id pasted) is named by the directory
const named = (group) => group.displayName && group.displayName !== group.id;

/** `value`: [{id, displayName}]; `onChange(next)`; `error`: the server's message for the field. */
export function GroupPicker({ tenantId, value, onChange, label = 'Groups', error, hint }) {
  const id = useRef(`groups-${++pickers}`).current;
  const [text, setText] = useState('');
  const { found, problem } = useSearchAsTyped((wanted) => findGroups(tenantId, wanted), text, [tenantId]);
  const chosen = new Set(value.map((group) => group.id));
  const add = (group) => {
    if (!chosen.has(group.id)) onChange([...value, group]);
    setText('');
    document.getElementById(id)?.focus(); // the next group is searched for where the last one was
  };
  const typedId = GUID.test(text.trim()) && !chosen.has(text.trim()) ? text.trim() : null;
  return html`<fieldset class=${`group-picker${error ? ' invalid' : ''}`} aria-describedby=${error ? `${id}-error` : undefined}>
    <legend>${label}</legend>
    ${hint && html`<p class="hint">${hint}</p>`}
    <ul class="chosen" aria-label="Chosen groups">
      ${value.length === 0 && html`<li class="muted">None yet.</li>`}
      ${value.map((group) => html`<li key=${group.id}><span>${named(group) ? group.displayName : html`<${GroupName} tenantId=${tenantId} groupId=${group.id} />`}</span>
        <button type="button" class="button subtle" aria-label=${`Remove ${group.displayName || group.id}`} onClick=${() => onChange(value.filter((other) => other.id !== group.id))}>Remove</button></li>`)}
    </ul>
    <div class="field">
      <label for=${id}>Find a group</label>
      <input id=${id} type="search" value=${text} autocomplete="off" placeholder="Start of its name, or its object id" onInput=${(event) => setText(event.currentTarget.value)} />
    </div>
    ${problem && html`<p class="field-error">${problem}</p>`}
    <ul class="found" aria-label="Groups found" aria-live="polite">
      ${typedId && html`<li><button type="button" class="button secondary" onClick=${() => add({ id: typedId, displayName: typedId })}>Add group ${typedId}</button></li>`}
      ${found.filter((group) => !chosen.has(group.id)).map((group) => html`<li key=${group.id}>
        <button type="button" class="button secondary" onClick=${() => add(group)} aria-label=${`Add ${group.displayName}`}>Add</button>
        <span>${group.displayName}</span>${group.description && html` <span class="muted">${group.description}</span>`}</li>`)}
    </ul>
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </fieldset>`;
}

/** A group's name from its object id (GET .../directoryGroups/{id}), the id while it is read or when unknown. */
export function GroupName({ tenantId, groupId }) {
  return html`<${NameOf} path=${groupPath(tenantId, groupId)} id=${groupId} kind="Group" />`;
}
