// A Spot Group's session time limits and a personal group's power while users are away: the fieldsets the edit form and the wizard share.
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

/** A personal group's hosts stopped while their users are away, and hibernated instead where they can be. */
export function PersonalPowerFields({ form, optional = false }) {
  return html`<fieldset>
    <legend>Power while users are away${optional ? ' (optional)' : ''}</legend>
    <p class="muted">Each user's own session host can be stopped while they are away, and Azure starts it again when they connect
      (Start VM on Connect). The rules are checked every 5 minutes; a host with an active session is never stopped.</p>
    <${Field} form=${form} name=${powerField('deallocateWhenDisconnectedMinutes')} label="Deallocate after disconnected (minutes)" type="number"
      hint=${`Stop a host once its user has been disconnected (or signed out) this long. ${span(PERSONAL_POWER_RANGES.deallocateWhenDisconnectedMinutes)}; empty: not for this.`} />
    <${Field} form=${form} name=${powerField('deallocateOnSignOut')} label="Deallocate when the user signs out" type="checkbox"
      hint="Stop a host at the next check after its user has signed out." />
    <${Field} form=${form} name=${powerField('hibernate')} label="Hibernate instead of deallocating" type="checkbox"
      hint="The user's session comes back as they left it. Only where the VM size and the image support hibernation; hosts made before this was turned on are deallocated instead." />
  </fieldset>`;
}
