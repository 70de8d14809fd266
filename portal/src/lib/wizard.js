// A wizard's state as plain data: its steps, the current one, every field's value, and which step owns an error.
import { errorsByField, normalise } from './errors.js';

const NO_ERRORS = Object.freeze({ fields: {}, general: [] });

/**
 * `steps`: `[{id, title, fields: ['displayName', ...], required?: names | (values) => names}]`; a field is named as
 * the server's error target names it (`domainJoinConfigurations.0.regionName`), so its errors find it.
 */
export function createWizard(steps, values = {}) {
  return { steps, current: 0, furthest: 0, values: { ...values }, errors: NO_ERRORS };
}

/** A new value for one field; the message the field had no longer applies. */
export function setValue(wizard, name, value) {
  const fields = { ...wizard.errors.fields };
  delete fields[name];
  return { ...wizard, values: { ...wizard.values, [name]: value }, errors: { ...wizard.errors, fields } };
}

/**
 * The wizard a step's check `answered` (computed from `asked`, the state when Next was pressed), keeping the values
 * that changed in `latest` while the server checked: choices the page made as its lists came in (the first site, the
 * newest version) are not undone by an answer that was computed without them.
 */
export function settle(answered, asked, latest) {
  const changed = Object.entries(latest.values).filter(([name, value]) => value !== asked.values[name]);
  return changed.length ? { ...answered, values: { ...answered.values, ...Object.fromEntries(changed) } } : answered;
}

export function setValues(wizard, changes) {
  return Object.entries(changes).reduce((next, [name, value]) => setValue(next, name, value), wizard);
}

const empty = (value) => value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

/** The required fields of a step (the current one by default) that have no value yet. */
export function missing(wizard, index = wizard.current) {
  const step = wizard.steps[index];
  const required = typeof step.required === 'function' ? step.required(wizard.values) : step.required || [];
  return required.filter((name) => empty(wizard.values[name]));
}

export const isLast = (wizard) => wizard.current === wizard.steps.length - 1;

export const canGoNext = (wizard) => !isLast(wizard) && missing(wizard).length === 0;

/** On to the next step, or, while a required field is empty, the same step with a message next to each. */
export function next(wizard, message = 'Required.') {
  const gaps = missing(wizard);
  if (gaps.length) {
    const fields = { ...wizard.errors.fields };
    for (const name of gaps) fields[name] = message;
    return { ...wizard, errors: { fields, general: [] } };
  }
  if (isLast(wizard)) return wizard;
  const current = wizard.current + 1;
  return { ...wizard, current, furthest: Math.max(wizard.furthest, current), errors: NO_ERRORS };
}

export function back(wizard) {
  if (wizard.current === 0) return wizard;
  return { ...wizard, current: wizard.current - 1, errors: { ...wizard.errors, general: [] } };
}

/** To a step already reached (any earlier one, or one up to the furthest reached); other steps stay shut. */
export function goTo(wizard, index) {
  if (index < 0 || index >= wizard.steps.length || index > wizard.furthest) return wizard;
  return { ...wizard, current: index };
}

/** The field of `steps` that an error target names: itself, a field it lies inside, or the first field inside it. */
export function fieldOf(steps, target) {
  const name = normalise(target);
  if (!name) return null;
  const fields = steps.flatMap((step) => step.fields);
  return fields.find((field) => field === name)
    || fields.find((field) => name.startsWith(`${field}.`))
    || fields.find((field) => field.startsWith(`${name}.`))
    || null;
}

/** The index of the step whose fields an error target names, or -1. */
export function stepOfField(steps, target) {
  const field = fieldOf(steps, target);
  return field === null ? -1 : steps.findIndex((step) => step.fields.includes(field));
}

/** The server's error (an ApiError's shape) placed by field; the wizard moves to the first step it names. With
 * `through`, only the messages about steps up to that index count (a check run before the later steps are
 * filled in); when none is left the wizard is returned as it was, with no errors. */
export function fail(wizard, error, { through = null } = {}) {
  const found = errorsByField(error);
  const fields = {};
  const general = through === null ? [...found.general] : [];
  let first = -1;
  for (const [target, message] of Object.entries(found.fields)) {
    const field = fieldOf(wizard.steps, target);
    const step = field === null ? -1 : stepOfField(wizard.steps, field);
    if (through !== null && (step === -1 || step > through)) continue;
    if (field === null) {
      general.push(message);
      continue;
    }
    fields[field] = fields[field] ? `${fields[field]} ${message}` : message;
    if (first === -1 || step < first) first = step;
  }
  if (through !== null && first === -1) return { ...wizard, errors: NO_ERRORS };
  const current = first === -1 ? wizard.current : first;
  return { ...wizard, current, errors: { fields, general } };
}

export const clearErrors = (wizard) => ({ ...wizard, errors: NO_ERRORS });

/** The values of the fields of one step (for showing a step's answers on the Review step). */
export function stepValues(wizard, index) {
  return Object.fromEntries(wizard.steps[index].fields.filter((name) => !empty(wizard.values[name])).map((name) => [name, wizard.values[name]]));
}
