// The frame the Windows 365 configuration wizards share: steps one can go back to, the step's heading, Back and
// Next, and a group of radio buttons with the server's message; the state itself is lib/wizard.js.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorBanner, FIELD_PROBLEM } from './ui.js';
import { back, createWizard, goTo, isLast, next, setValue, settle } from './lib/wizard.js';

/** The wizard's state, and a `form` for `Field` (values, errors, set) over it. */
export function useWizard(steps, initial) {
  const [wizard, update] = useState(() => createWizard(steps, initial));
  const form = {
    values: wizard.values,
    errors: wizard.errors,
    set: (name, value) => update((old) => setValue(old, name, value)),
  };
  return { wizard, form, update };
}

function StepList({ wizard, update, label }) {
  return html`<nav aria-label=${label}><ol class="wizard-steps">
    ${wizard.steps.map((step, index) => {
      const current = index === wizard.current;
      const reachable = !current && index <= wizard.furthest;
      const state = current ? 'current' : index < wizard.current ? 'done' : '';
      const body = html`<span class="step-number" aria-hidden="true">${index + 1}</span> ${step.title}`;
      return html`<li class=${state} aria-current=${current ? 'step' : undefined}>
        ${reachable ? html`<button type="button" class="step-link" onClick=${() => update((old) => goTo(old, index))}>${body}</button>` : body}
      </li>`;
    })}
  </ol></nav>`;
}

/**
 * One wizard: its steps, the current step's content (`children`), Back and Next. `onNext(wizard)` may check the
 * step with the server and returns the wizard to show (moved on, or failed); `finish` is the last step's buttons.
 */
export function WizardFrame({ wizard, update, label, onNext, finish, children }) {
  const heading = useRef(null);
  const shown = useRef(wizard.current);
  const [busy, setBusy] = useState(false);
  const step = wizard.steps[wizard.current];
  useEffect(() => {
    // a new step is announced by moving to its heading; the first render leaves the page's h1 focused
    if (shown.current !== wizard.current) heading.current?.focus();
    shown.current = wizard.current;
  }, [wizard.current]);
  const form = useRef(null);
  const checked = useRef(false); // Next was pressed: a step it refused puts the focus on the field to fix
  useEffect(() => {
    if (!checked.current) return;
    checked.current = false;
    form.current?.querySelector(FIELD_PROBLEM)?.focus();
  });
  const forward = async (event) => {
    event.preventDefault();
    if (busy || isLast(wizard)) return;
    const moved = next(wizard);
    if (moved.current === wizard.current || !onNext) {
      checked.current = true;
      update(moved);
      return;
    }
    setBusy(true);
    try {
      const answered = await onNext(wizard);
      checked.current = true;
      update((latest) => settle(answered, wizard, latest));
    } finally {
      setBusy(false);
    }
  };
  return html`<${StepList} wizard=${wizard} update=${update} label=${`Steps of ${label}`} />
    <form class="card wizard" ref=${form} onSubmit=${forward} aria-labelledby="wizard-step-title" novalidate>
      <h2 id="wizard-step-title" ref=${heading} tabindex="-1">${step.title}</h2>
      <p class="muted step-of">Step ${wizard.current + 1} of ${wizard.steps.length}</p>
      <${ErrorBanner} error=${wizard.errors.general} />
      ${children}
      <div class="wizard-actions">
        ${wizard.current > 0 && html`<button type="button" class="button secondary" onClick=${() => update(back)}>Back</button>`}
        ${isLast(wizard) ? finish : html`<button type="submit" class="button primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${busy ? 'Checking…' : 'Next'}</button>`}
      </div>
    </form>`;
}

let groups = 0;

/** Radio buttons for one field: `options` `[{value, label, description, disabled}]`; the server's message below. */
export function RadioGroup({ form, name, legend, options, hint }) {
  const id = useRef(`radios-${name.replace(/\W/g, '-')}-${++groups}`).current;
  const error = form.errors.fields[name];
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return html`<fieldset class=${`radios${error ? ' invalid' : ''}`} aria-describedby=${describedBy}>
    <legend>${legend}</legend>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${options.map((option, index) => html`<div class="radio" key=${option.value}>
      <input type="radio" id=${`${id}-${index}`} name=${id} value=${option.value} checked=${form.values[name] === option.value}
        disabled=${option.disabled} aria-invalid=${error ? 'true' : undefined}
        aria-describedby=${option.description ? `${id}-${index}-description` : undefined}
        onChange=${() => form.set(name, option.value)} />
      <label for=${`${id}-${index}`}>${option.label}</label>
      ${option.description && html`<span class="radio-description" id=${`${id}-${index}-description`}>${option.description}</span>`}
    </div>`)}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </fieldset>`;
}
