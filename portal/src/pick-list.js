// A field picked from what Azure lists (a site's subnets, its images), with typing its ARM id left as the last choice.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { Field } from './ui.js';
import { useResource } from './models/resource.js';

const TYPED = 'typed'; // the list's last choice: something it does not hold, by its ARM id

/**
 * `list` is the store of what Azure has (null while there is nothing to list yet), `choice(item)` an item as a choice,
 * `{value, label, group?}`. The field `name` of `form` gets the chosen value;
 * `first` is the option shown before any is chosen (`{label, disabled}`, value ''). When the list cannot be read, or
 * holds no choice of the field's current value, a text field takes the id instead, with `typedHint`.
 */
export function PickOrType({ form, name, label, typedLabel, list, choice, first, hint, typedHint, placeholder, required }) {
  const listed = useResource(list);
  const [typing, setTyping] = useState(false);
  const read = listed.data || !list;
  const choices = (listed.data || []).map(choice);
  const value = form.values[name];
  const typed = typing || listed.error || (value && read && !choices.some((one) => one.value === value));
  const pickName = `${name}Pick`;
  const picker = {
    ...form,
    values: { ...form.values, [pickName]: typed ? TYPED : value },
    set: (_, chosen) => {
      setTyping(chosen === TYPED);
      form.set(name, chosen === TYPED ? '' : chosen);
    },
    errors: { ...form.errors, fields: { ...form.errors.fields, [pickName]: typed ? undefined : form.errors.fields[name] } },
  };
  const options = [{ value: '', ...first }, ...choices, { value: TYPED, label: `Another one: type its ${typedLabel}` }];
  return html`
    ${!listed.error && html`<${Field} form=${picker} name=${pickName} label=${label} type="select" required=${required}
      options=${options} hint=${read ? hint : 'Reading what Azure has…'} />`}
    ${typed && html`<${Field} form=${form} name=${name} label=${`${label} ${typedLabel}`} required=${required} placeholder=${placeholder}
      hint=${listed.error ? `Azure could not be listed: ${listed.error.message} Give the ${typedLabel}.` : typedHint} />`}`;
}
