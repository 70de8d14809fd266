// How a template's fields read in the portal: a field's name and its value in words, and a kind by its name.
import { JOIN_TYPES } from './configuration.js';
import { words } from './format.js';

export const KIND_NAMES = { provisioningPolicy: 'Provisioning policy', spotGroup: 'Spot Group', alertRule: 'Alert rule' };
/** 'A provisioning policy template', 'An alert rule template': a kind's template, to open a sentence. */
export const aTemplateOf = (kind) => `${/^[aeiou]/i.test(kindInText(kind)) ? 'An' : 'A'} ${kindInText(kind)} template`;
/** A kind inside a sentence: 'provisioning policy', but 'Spot Group' (a name) as it is. */
export const kindInText = (kind) => ({ provisioningPolicy: 'provisioning policy', spotGroup: 'Spot Group' }[kind] || words(kind).toLowerCase());

// a value that is an enum's code ('userSessions'), which reads as its words; free text is left as typed
const CODE = /^[a-z]+(?:[A-Z][a-z]+)+$/;

/** A field's value as a sentence part: 'Not set', 'Yes', '3', 'a, b', or an object's entries 'Group ID: g1'. */
export function valueText(value) {
  if (value === null || value === undefined || value === '') return 'Not set';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.length ? value.map(valueText).join('; ') : 'None';
  if (typeof value === 'object') {
    return Object.entries(value).filter(([, one]) => one !== null && one !== undefined)
      .map(([name, one]) => `${words(name)}: ${valueText(one)}`).join(', ') || 'Not set';
  }
  if (typeof value === 'string') return JOIN_TYPES[value] || (CODE.test(value) ? words(value) : value);
  return String(value);
}

/** The fields a template shows, set ones first in the order given, then its parameters (filled in by each tenant). */
export function fieldRows(fields, parameters) {
  return [
    ...Object.entries(fields).map(([name, value]) => ({ id: name, name, value, parameter: false })),
    ...parameters.filter((name) => !(name in fields)).map((name) => ({ id: name, name, value: null, parameter: true })),
  ];
}

const TENANT_TARGET = /^tenants\.(\d+)\.(?:parameters\.)?([^.]+)/;

/** An apply's refusal per tenant: `{general, tenants: {tenantId: {fields: {parameter: message}, general}}}`, from the
 * form errors of `errorsByField` (targets `tenants.0.parameters.siteId`), `order` the tenants as the body sent them. */
export function errorsByTenant(errors, order) {
  const tenants = Object.fromEntries(order.map((tenantId) => [tenantId, { fields: {}, general: [] }]));
  const general = [...errors.general];
  for (const [target, message] of Object.entries(errors.fields)) {
    const found = TENANT_TARGET.exec(target);
    const tenant = found && tenants[order[Number(found[1])]];
    if (!tenant) general.push(message);
    else if (found[2] === 'tenantId') tenant.general.push(message);
    else tenant.fields[found[2]] = tenant.fields[found[2]] ? `${tenant.fields[found[2]]} ${message}` : message;
  }
  return { general, tenants };
}

/** A parameter typed as text, as the body takes it: a number, true/false, a JSON list or object, else the text. */
export function typedValue(text) {
  const trimmed = String(text ?? '').trim();
  if (/^(-?\d+(\.\d+)?|true|false|\[.*\]|\{.*\})$/s.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return trimmed;
    }
  }
  return trimmed;
}

// how an object's read body says a field the create body takes otherwise: a policy's assignments carry their ids
const AS_CREATED = { assignments: (list) => list.map((one) => ({ groupId: one.groupId })) };

/** The fields a template of the kind takes (`names`, the vocabulary's), as an object's read body holds them set. */
export function fieldsOf(body, names) {
  return Object.fromEntries(names.filter((name) => body[name] !== null && body[name] !== undefined && body[name] !== '')
    .map((name) => [name, AS_CREATED[name] ? AS_CREATED[name](body[name]) : body[name]]));
}

/** A field's value as its text box shows it: text as it is, anything else as JSON. */
export const fieldText = (value) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** The text back as the body takes it: the value it came from when unchanged, text for a text field, else JSON. */
export function fieldValue(text, original) {
  if (original !== undefined && text === fieldText(original)) return original;
  if (typeof original === 'string') return text;
  return typedValue(text);
}

/** A template body from the form: the ticked fields are parameters, the others' values (left empty: not set) fields. */
export function templateBody({ displayName, description, rows }) {
  const fields = {};
  const parameters = [];
  for (const row of rows) {
    if (row.parameter) parameters.push(row.name);
    else if (row.text.trim() !== '') fields[row.name] = fieldValue(row.text, row.original);
  }
  return { displayName, description: description || null, fields, parameters };
}
