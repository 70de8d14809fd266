// A field picked from what Azure lists (a site's subnets, its images), with typing its ARM id left as the last choice.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { href } from './router.js';
import { Field } from './ui.js';
import { onboarding } from './models/onboarding.js';
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
      hint=${listed.error ? html`<${Unlisted} error=${listed.error} typedLabel=${typedLabel} />` : typedHint} />`}`;
}

// Azure's refusal for want of a role (AuthorizationFailed) names the app's client and object ids: the reader is told
// instead which role is missing and where onboarding says how to grant it
const REFUSED_ACTION = /AuthorizationFailed[\s\S]*perform action '([^']+)'/;

function Unlisted({ error, typedLabel }) {
  const tenantId = decodeURIComponent((location.hash.match(/^#\/tenants\/([^/?]+)/) || [])[1] || '');
  const refused = error.message.match(REFUSED_ACTION);
  if (!refused || !tenantId) return `Azure could not be listed: ${error.message} Give the ${typedLabel}.`;
  return html`<${RoleMissing} tenantId=${tenantId} action=${refused[1]} typedLabel=${typedLabel} />`;
}

function RoleMissing({ tenantId, action, typedLabel }) {
  const role = useResource(onboarding(tenantId)).data?.customRole?.Name || "the app's";
  return html`The app holds no role here yet that lets it read this list (it needs ${action}): the customer's admin assigns it
    the ${role} role at the subscription, as <a href=${href('/tenants/:tenantId/onboarding', { tenantId })}>the Onboarding page</a> says.
    Until then, give the ${typedLabel}.`;
}
