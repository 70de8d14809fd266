// The portal's building blocks: page frame, tables, fields with the server's errors, confirmation, when data was read.
import { html } from 'htm/preact';
import { signal } from '@preact/signals';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorsByField } from './lib/errors.js';
import { forReaders, time, words } from './lib/format.js';
import { lineName } from './lib/timeline.js';
import { nameOf } from './models/names.js';
import { useResource } from './models/resource.js';

export { html };

export function Page({ title, actions, children, subtitle }) {
  const heading = useRef(null);
  useEffect(() => {
    document.title = `${title} · Cloud PC provisioning`;
  }, [title]);
  return html`<section class="page" aria-labelledby="page-title">
    <header class="page-header">
      <div>
        <h1 id="page-title" ref=${heading} tabindex="-1">${title}</h1>
        ${subtitle && html`<p class="subtitle">${subtitle}</p>`}
      </div>
      ${actions && html`<div class="page-actions">${actions}</div>`}
    </header>
    ${children}
  </section>`;
}

export function ErrorBanner({ error, title = 'That did not work' }) {
  if (!error) return null;
  const messages = Array.isArray(error) ? error : [error.message || String(error)];
  if (!messages.length) return null;
  return html`<div class="banner error" role="alert">
    <strong>${title}</strong>
    ${messages.map((message) => html`<p>${message}</p>`)}
  </div>`;
}

/** One line for a failure in a table cell: the catalogue's sentence, else the provider's message. */
export function failureLine(detail) {
  return detail ? detail.summary || forReaders(detail.message) || words(detail.code) : '';
}

/**
 * A failure as the API words it (statusDetail, a step's detail, a bulk item's error): the catalogue's sentence and what
 * to do, the step it happened at, and the provider's own message once, folded away when the sentence says it already.
 */
export function Failure({ detail, compact = false }) {
  if (!detail) return null;
  const said = failureLine(detail);
  const step = detail.step && html`<span class="muted">${lineName(detail.step)}: </span>`;
  const theirs = detail.summary && detail.message && detail.message !== detail.summary && detail.message;
  return html`<div class=${`failure detail${compact ? ' compact' : ''}`}>
    <p>${step}${said}${detail.code && html` <code>${detail.code}</code>`}</p>
    ${detail.recommendedAction && html`<p class="recommended"><strong>What to do:</strong> ${detail.recommendedAction}</p>`}
    ${theirs && html`<details><summary>The service's own message</summary><p>${forReaders(theirs)}</p></details>`}
  </div>`;
}

export function Notice({ children, kind = 'info' }) {
  return html`<div class=${`banner ${kind}`} role="status">${children}</div>`;
}

export function StatusBadge({ status, label }) {
  if (!status) return html`<span class="badge">—</span>`;
  return html`<span class=${`badge status-${status}`}>${label || words(status)}</span>`;
}

/** A form's values and the errors the server gave for its fields. */
export function useForm(initial, fields = Object.keys(initial)) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({ fields: {}, general: [] });
  const set = useCallback((name, value) => setValues((old) => ({ ...old, [name]: value })), []);
  const fail = useCallback((error) => setErrors(errorsByField(error, fields)), [fields.join()]);
  const clear = useCallback(() => setErrors({ fields: {}, general: [] }), []);
  return { values, set, setValues, errors, fail, clear };
}

let fieldCount = 0;

/** A labelled control with its hint and the server's message for it (`form.errors.fields[name]`). */
export function Field({ form, name, label, type = 'text', hint, options, required, placeholder, autocomplete, rows, disabled, maxLength, list }) {
  const id = useRef(`field-${name.replace(/\W/g, '-')}-${++fieldCount}`).current;
  const error = form.errors.fields[name];
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  const value = form.values[name] ?? '';
  const common = {
    id,
    name,
    required,
    disabled,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy,
  };
  let control;
  if (type === 'select') {
    // options with a `group` are shown under it (regions by geography), where the group's first option stands
    const option = (one) => html`<option value=${one.value} disabled=${one.disabled}>${one.label}</option>`;
    const shown = options.flatMap((one, at) => {
      if (!one.group) return [option(one)];
      if (options.findIndex((other) => other.group === one.group) !== at) return [];
      return [html`<optgroup label=${one.group}>${options.filter((other) => other.group === one.group).map(option)}</optgroup>`];
    });
    control = html`<select ...${common} value=${value} onChange=${(event) => form.set(name, event.currentTarget.value)}>
      ${shown}
    </select>`;
  } else if (type === 'checkbox') {
    control = html`<input ...${common} type="checkbox" checked=${Boolean(form.values[name])}
      onChange=${(event) => form.set(name, event.currentTarget.checked)} />`;
  } else if (type === 'textarea') {
    control = html`<textarea ...${common} rows=${rows || 4} placeholder=${placeholder} maxlength=${maxLength}
      onInput=${(event) => form.set(name, event.currentTarget.value)}>${value}</textarea>`;
  } else {
    control = html`<input ...${common} type=${type} value=${value} placeholder=${placeholder} autocomplete=${autocomplete || 'off'}
      maxlength=${maxLength} list=${list} onInput=${(event) => form.set(name, type === 'number' ? event.currentTarget.valueAsNumber : event.currentTarget.value)} />`;
  }
  return html`<div class=${`field${type === 'checkbox' ? ' checkbox' : ''}${error ? ' invalid' : ''}`}>
    ${type === 'checkbox' ? control : null}
    <label for=${id}>${label}${required ? html`<span aria-hidden="true" class="required"> *</span>` : null}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${type === 'checkbox' ? null : control}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

/** A button that runs an async action, disabled (and saying so) until it settles. */
export function ActionButton({ onClick, children, kind = 'secondary', busyLabel, type = 'button', disabled, label }) {
  const [busy, setBusy] = useState(false);
  const run = async (event) => {
    // a submit button with its own handler runs it instead of the form's submit event (Enter in a field clicks it
    // too), so the request is sent once; one without a handler leaves the submit to its form
    if (type !== 'submit' || onClick) event.preventDefault();
    if (busy || !onClick) return;
    setBusy(true);
    try {
      await onClick(event);
    } finally {
      setBusy(false);
    }
  };
  return html`<button type=${type} class=${`button ${kind}`} onClick=${run} disabled=${disabled || busy} aria-busy=${busy ? 'true' : undefined} aria-label=${label}>
    ${busy ? busyLabel || children : children}
  </button>`;
}

/** Copies `text` to the clipboard, and says whether it did (a browser may refuse outside a secure context). */
export function CopyButton({ text, label }) {
  const [outcome, setOutcome] = useState(null);
  const copy = () => navigator.clipboard.writeText(text).then(() => setOutcome('Copied'), () => setOutcome('Not copied: select the text'));
  return html`<${ActionButton} kind="subtle" label=${label} onClick=${copy}>Copy</${ActionButton}>${outcome && html` <span class="muted" role="status">${outcome}</span>`}`;
}

/** A table of rows; with `selection` (a Set signal) a checkbox per row and one for the page. Below 600 px each row is a
 * card (styles.css, from each cell's `data-label`); the explicit roles keep it a table to a screen reader, which some
 * browsers forget once a table is not displayed as one. */
export function DataTable({ caption, columns, rows, rowKey = (row) => row.id, selection, empty = 'Nothing here yet.', rowLabel }) {
  if (!rows) return html`<p class="muted">Loading…</p>`;
  const keys = rows.map(rowKey);
  const selected = selection?.value ?? new Set();
  const allOn = keys.length > 0 && keys.every((key) => selected.has(key));
  const toggle = (key) => {
    const next = new Set(selected);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    selection.value = next;
  };
  const toggleAll = () => {
    const next = new Set(selected);
    for (const key of keys) allOn ? next.delete(key) : next.add(key);
    selection.value = next;
  };
  return html`<${ScrollRegion} label=${caption || 'List'}><table class="list" role="table">
    <caption class=${caption ? '' : 'visually-hidden'}>${caption || 'List'}</caption>
    <thead role="rowgroup"><tr role="row">
      ${selection && html`<th scope="col" role="columnheader" class="select"><input type="checkbox" aria-label="Select every row on this page" checked=${allOn} onChange=${toggleAll} /></th>`}
      ${columns.map((column) => html`<th scope="col" role="columnheader" class=${column.class}>${column.label}</th>`)}
    </tr></thead>
    <tbody role="rowgroup">
      ${rows.length === 0 && html`<tr role="row"><td role="cell" colspan=${columns.length + (selection ? 1 : 0)} class="empty">${empty}</td></tr>`}
      ${rows.map((row, index) => html`<tr role="row" key=${keys[index]} class=${selected.has(keys[index]) ? 'selected' : ''}>
        ${selection && html`<td role="cell" class="select"><input type="checkbox" aria-label=${`Select ${rowLabel ? rowLabel(row) : keys[index]}`}
          checked=${selected.has(keys[index])} onChange=${() => toggle(keys[index])} /></td>`}
        ${columns.map((column) => html`<td role="cell" class=${column.class} data-label=${column.label}>${column.render ? column.render(row) : row[column.key] ?? '—'}</td>`)}
      </tr>`)}
    </tbody>
  </table></${ScrollRegion}>`;
}

/** A table's frame: it scrolls sideways on a narrow screen, and only then is a named stop for the keyboard (so the
 * arrow keys scroll it) rather than an extra stop on every wide page. */
export function ScrollRegion({ label, children }) {
  const frame = useRef(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const element = frame.current;
    const check = () => setScrolls(element.scrollWidth > element.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return html`<div ref=${frame} class="table-wrap" tabindex=${scrolls ? '0' : undefined} role=${scrolls ? 'region' : undefined}
    aria-label=${scrolls ? label : undefined}>${children}</div>`;
}

/** "As of 10:42:07 · refreshing on its own while work runs" and a Refresh button, for `useResource`'s state. */
export function AsOf({ poll }) {
  return html`<div class="as-of" aria-live="polite">
    <span>As of ${time(poll.asOf)}${poll.running ? ' · refreshing on its own while work runs' : ''}</span>
    <button type="button" class="button subtle" onClick=${poll.refresh} disabled=${poll.loading}>Refresh</button>
  </div>`;
}

/** A resource's name where the API gives only its id: read once from `path`; the id while read or when unknown. */
export function NameOf({ path, id, kind = 'Resource' }) {
  const name = useResource(nameOf(path)).data;
  return name ? html`<span title=${`${kind} id ${id}`}>${name}</span>` : html`<code>${id}</code>`;
}

const pending = signal(null);

// Where focus goes back to when it would drop to <body>: the control the admin last used outside a dialog. A busy
// action disables its button and a dialog is taken out of the page when answered, and neither gives focus back.
let returnTo = null;
export const FIELD_PROBLEM = '.field.invalid :is(input, select, textarea)';

function settleFocus() {
  const active = document.activeElement;
  if ((active && active !== document.body) || !returnTo) return;
  if (returnTo.isConnected && returnTo.disabled) return; // still busy: focus comes back when it is done
  // a form the server refused: its first field with a message; a control that is gone (a removed row's button, a
  // wizard step left behind): the page's heading
  const problem = returnTo.isConnected && returnTo.closest('form')?.querySelector(FIELD_PROBLEM);
  const target = problem || (returnTo.isConnected ? returnTo : document.getElementById('page-title'));
  returnTo = null;
  target?.focus();
}

/** Keeps focus on the page for keyboard users after actions, dialogs and re-rendered lists (installed once). */
export function keepFocus() {
  document.addEventListener('focusin', (event) => {
    if (!event.target.closest?.('dialog')) returnTo = event.target;
  });
  document.addEventListener('pointerdown', (event) => { // a click elsewhere is the admin's choice
    if (!event.target.closest?.('dialog')) returnTo = null;
  }, true);
  new MutationObserver(settleFocus).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
}

/** Asks before something destructive: resolves true when the admin confirms. */
export function confirm(message, { title = 'Are you sure?', confirmLabel = 'Confirm', destructive = true } = {}) {
  return new Promise((resolve) => {
    pending.value = { message, title, confirmLabel, destructive, resolve };
  });
}

export function ConfirmHost() {
  const dialog = useRef(null);
  const ask = pending.value;
  useEffect(() => {
    if (ask && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [ask]);
  if (!ask) return null;
  const answer = (value) => {
    dialog.current?.close();
    pending.value = null;
    ask.resolve(value);
  };
  return html`<dialog ref=${dialog} class="confirm" aria-labelledby="confirm-title" onCancel=${(event) => { event.preventDefault(); answer(false); }}>
    <h2 id="confirm-title">${ask.title}</h2>
    <p>${ask.message}</p>
    <div class="dialog-actions">
      <button type="button" class=${`button ${ask.destructive ? 'danger' : 'primary'}`} onClick=${() => answer(true)}>${ask.confirmLabel}</button>
      <button type="button" class="button secondary" autofocus onClick=${() => answer(false)}>Cancel</button>
    </div>
  </dialog>`;
}

/** The steps of a wizard as an ordered list; the current one is marked for assistive technology too. */
export function WizardSteps({ steps, current }) {
  return html`<ol class="wizard-steps" aria-label="Steps">
    ${steps.map((step, index) => html`<li class=${index === current ? 'current' : index < current ? 'done' : ''} aria-current=${index === current ? 'step' : undefined}>
      <span class="step-number" aria-hidden="true">${index + 1}</span> ${step}
    </li>`)}
  </ol>`;
}

/** A definition list of label/value pairs. */
/** A form's review before it is sent: what the server checked (`validateOnly`), the action, and a way back to the
 * form. The heading takes the focus, so a keyboard or screen-reader user lands on what to read. */
export function ReviewCard({ title, lead, items, action, busyLabel, onConfirm, onChange }) {
  const heading = useRef(null);
  useEffect(() => { heading.current?.focus(); }, []);
  return html`<section class="card" aria-labelledby="review-title">
    <h2 id="review-title" ref=${heading} tabindex="-1">${title}</h2>
    <p>${lead}</p>
    <${Details} items=${items} />
    <div class="wizard-actions">
      <${ActionButton} kind="primary" onClick=${onConfirm} busyLabel=${busyLabel}>${action}</${ActionButton}>
      <button type="button" class="button secondary" onClick=${onChange}>Change</button>
    </div>
  </section>`;
}

export function Details({ items }) {
  return html`<dl class="details">
    ${items.filter(Boolean).map(([label, value]) => html`<div><dt>${label}</dt><dd>${value ?? '—'}</dd></div>`)}
  </dl>`;
}
