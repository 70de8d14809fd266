// The tenant's reclaim rule in words: what it will do, what it would take now, and the form's values to and from the API.
import { plural } from './format.js';
import { normalise } from './errors.js';
import { RECLAIM_RANGES } from '../vocabulary.js';

export const RULE_FIELDS = ['enabled', 'unusedDays', 'noticeDays', 'emailUser', 'mailbox'];

/** The form's values from the saved rule, or the API's defaults where none is saved (a rule is off until saved on). */
export function draftOf(rule) {
  return {
    enabled: rule?.enabled ?? false,
    unusedDays: rule?.unusedDays ?? RECLAIM_RANGES.unusedDays.default,
    noticeDays: rule?.noticeDays ?? RECLAIM_RANGES.noticeDays.default,
    emailUser: rule?.emailUser ?? false,
    mailbox: rule?.mailbox ?? '',
  };
}

// an emptied number field is NaN in the form: sent as nothing, so the server names the field
const number = (value) => (Number.isFinite(value) ? value : null);

/** The rule as PATCH /tenants/{t} takes it under `reclaim`. */
export function ruleBody(values) {
  return {
    enabled: Boolean(values.enabled),
    unusedDays: number(values.unusedDays),
    noticeDays: number(values.noticeDays),
    emailUser: Boolean(values.emailUser),
    mailbox: values.emailUser ? values.mailbox.trim() || null : null,
  };
}

const days = (count) => (Number.isFinite(count) ? plural(count, 'day') : 'the days set');

/** What the rule will do, as the admin reads it before saving. */
export function ruleSentence(values) {
  if (!values.enabled) return 'Off: no Cloud PC is taken back for being unused.';
  const told = values.emailUser
    ? `its user (by e-mail from ${values.mailbox.trim() || 'the mailbox below'}) and the tenant's admins`
    : "the tenant's admins (its user is not e-mailed)";
  return `A Cloud PC nobody has connected to for ${days(values.unusedDays)} is announced to ${told}; `
    + `${days(values.noticeDays)} later, still unused, it enters its grace period and its user's license is freed for the next user in line, `
    + 'and it is deprovisioned when the grace period ends. A connection before then keeps it. '
    + 'Cloud PCs whose license a group assigns are left alone: only the group can take that license away.';
}

/** The preview's counts in words: `{toAnnounce, toReclaim}` of GET reclaimPreview. */
export function previewSentence({ toAnnounce, toReclaim }, enabled) {
  const announce = toAnnounce ? plural(toAnnounce, 'Cloud PC') : 'no Cloud PC';
  const grace = toReclaim === 0 ? 'put none in its grace period'
    : toReclaim === 1 ? 'put 1 in its grace period' : `put ${toReclaim} in their grace periods`;
  return `${enabled ? 'Saved now' : 'Turned on and saved now'}, this rule would announce ${announce} and ${grace}.`;
}

/** A refusal at the form's fields: a save's `reclaim.unusedDays` and the preview's `unusedDays` are the field
 * `unusedDays`, and beside it the message need not name it ('unusedDays must be …' -> 'must be …'). */
export function atRuleFields(error) {
  const given = error.details?.length ? error.details : [{ message: error.message, target: error.target }];
  const details = given.map((detail) => {
    const target = String(normalise(detail.target) ?? '').replace(/^reclaim\./, '');
    const message = String(detail.message ?? '').replace(/^reclaim\./, '');
    return { ...detail, target, message: target && message.startsWith(`${target} `) ? message.slice(target.length + 1) : message };
  });
  // a message one of the details repeats is said once, at its field
  return { message: given.some((detail) => detail.message === error.message) ? null : error.message, details };
}
