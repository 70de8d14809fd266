// A Spot Group's session time limits and personal desktops' power while users are away: the fieldsets the edit forms and the wizards share.
import { html } from 'htm/preact';
import { Field } from '../ui.js';
import { span } from '../lib/format.js';
import { limitField, powerField } from '../lib/session-policies.js';
import { PERSONAL_POWER_RANGES, SESSION_LIMIT_RANGES } from '../vocabulary.js';

const range = (name) => `${span(SESSION_LIMIT_RANGES[name])}; empty: no limit.`;


/** Idle, disconnected and active limits, in minutes, each with what it does. */
export function SessionLimitFields({ form, optional = false }) {
  return html`<fieldset>
    <legend>Session time limits${optional ? ' (optional)' : ''}</legend>
    <p class="muted">Applied to every session host of the group, as Windows' Remote Desktop session time limits.</p>
    <${Field} form=${form} name=${limitField('idleMinutes')} label="Idle (minutes)" type="number"
      hint=${`An active session without keyboard or mouse input for this long is disconnected. ${range('idleMinutes')}`} />
    <${Field} form=${form} name=${limitField('disconnectedMinutes')} label="Disconnected (minutes)" type="number"
      hint=${`A disconnected session is ended after this long: its user is signed out, and what they had not saved is lost. ${range('disconnectedMinutes')}`} />
    <${Field} form=${form} name=${limitField('activeMinutes')} label="Active (minutes)" type="number"
      hint=${`Any session is disconnected after this long, however busy its user is. ${range('activeMinutes')}`} />
  </fieldset>`;
}

/**
 * Personal desktops stopped while their users are away, and hibernated instead where they can be: a personal
 * group's hosts (`personalPower`), or a policy's Cloud PCs (`setting` powerRules, `what` 'Cloud PC', its own `legend` and `intro`).
 */
export function PersonalPowerFields({
  form, optional = false, setting = 'personalPower', what = 'host', legend = 'Power while users are away',
  intro = html`Each user's own session host can be stopped while they are away, and Azure starts it again when they connect
      (Start VM on Connect).`,
}) {
  return html`<fieldset>
    <legend>${legend}${optional ? ' (optional)' : ''}</legend>
    <p class="muted">${intro} The rules are checked every 5 minutes; a ${what} with an active session is never stopped.</p>
    <${Field} form=${form} name=${powerField('deallocateWhenDisconnectedMinutes', setting)} label="Deallocate after disconnected (minutes)" type="number"
      hint=${`Stop a ${what} once its user has been disconnected (or signed out) this long. ${span(PERSONAL_POWER_RANGES.deallocateWhenDisconnectedMinutes)}; empty: not for this.`} />
    <${Field} form=${form} name=${powerField('deallocateOnSignOut', setting)} label="Deallocate when the user signs out" type="checkbox"
      hint=${`Stop a ${what} at the next check after its user has signed out.`} />
    <${Field} form=${form} name=${powerField('hibernate', setting)} label="Hibernate instead of deallocating" type="checkbox"
      hint=${`The user's session comes back as they left it. Only where the VM size and the image support hibernation; ${what}s made before this was turned on are deallocated instead.`} />
  </fieldset>`;
}
