// How a template's fields read in the portal: a field's name and its value in words, and a kind by its name.
import { words } from './format.js';

export const KIND_NAMES = { provisioningPolicy: 'Provisioning policy', spotGroup: 'Spot Group' };

/** A field's value as a sentence part: 'Not set', 'Yes', '3', 'a, b', or an object's entries 'Group ID: g1'. */
export function valueText(value) {
  if (value === null || value === undefined || value === '') return 'Not set';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.length ? value.map(valueText).join('; ') : 'None';
  if (typeof value === 'object') {
    return Object.entries(value).filter(([, one]) => one !== null && one !== undefined)
      .map(([name, one]) => `${words(name)}: ${valueText(one)}`).join(', ') || 'Not set';
  }
  return String(value);
}

/** The fields a template shows, set ones first in the order given, then its parameters (filled in by each tenant). */
export function fieldRows(fields, parameters) {
  return [
    ...Object.entries(fields).map(([name, value]) => ({ id: name, name, value, parameter: false })),
    ...parameters.filter((name) => !(name in fields)).map((name) => ({ id: name, name, value: null, parameter: true })),
  ];
}
