// Choosing one person or app by name for a tenant's role (GET /tenants/{t}/directoryPrincipals?search=&directory=).
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { principalLabel } from './lib/people.js';
import { words } from './lib/format.js';
import { findPrincipals } from './models/access.js';
import { useSearchAsTyped } from './search-as-typed.js';

let pickers = 0;

/** `value`: the principal chosen (null: none yet); `onChange(next)`; `error`: the server's message for it. */
export function PrincipalPicker({ tenantId, directory, value, onChange, error }) {
  const id = useRef(`principal-${++pickers}`).current;
  const [text, setText] = useState('');
  const { found, problem } = useSearchAsTyped((wanted) => findPrincipals(tenantId, directory, wanted), text, [tenantId, directory], { skipEmpty: true });
  const choose = (principal) => {
    onChange(principal);
    setText('');
    setTimeout(() => document.getElementById(`${id}-change`)?.focus()); // the keyboard goes on from the choice
  };
  return html`<fieldset class=${`group-picker${error ? ' invalid' : ''}`} aria-describedby=${error ? `${id}-error` : undefined}>
    <legend>Person or app</legend>
    ${value
      ? html`<p class="chosen-principal"><strong>${principalLabel(value)}</strong> <span class="muted">${words(value.kind)}</span>
          <button type="button" id=${`${id}-change`} class="button subtle" onClick=${() => { onChange(null); setTimeout(() => document.getElementById(id)?.focus()); }}>Change</button></p>`
      : html`<div class="field">
          <label for=${id}>Find by name</label>
          <input id=${id} type="search" value=${text} autocomplete="off" placeholder="Start of a name, sign-in name or e-mail" onInput=${(event) => setText(event.currentTarget.value)} />
        </div>
        ${problem && html`<p class="field-error">${problem}</p>`}
        <ul class="found" aria-label="People and apps found" aria-live="polite">
          ${text.trim() && found.length === 0 && !problem && html`<li class="muted">Nobody found yet.</li>`}
          ${found.map((principal) => html`<li key=${principal.id}>
            <button type="button" class="button secondary" onClick=${() => choose(principal)} aria-label=${`Choose ${principalLabel(principal)}`}>Choose</button>
            <span>${principalLabel(principal)}</span> <span class="muted">${words(principal.kind)}</span></li>`)}
        </ul>`}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </fieldset>`;
}
