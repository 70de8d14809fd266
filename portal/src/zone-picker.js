// A time zone picked from the browser's IANA zones by typing part of its name (a combobox as WAI-ARIA's pattern has it).
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { knownZones, zoneMatches, zoneWords } from './lib/time-zones.js';

const ZONES = knownZones();
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
let pickers = 0;

/**
 * The field `name` of `form`: typed freely (the server judges the zone), or picked from the zones that hold what is
 * typed, the browser's own first: ArrowDown opens the list and moves through it, Enter picks, Escape closes it.
 */
export function ZonePicker({ form, name, label, hint, required }) {
  const id = useRef(`zone-${++pickers}`).current;
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const value = form.values[name] ?? '';
  const matches = useMemo(() => zoneMatches(ZONES, value, BROWSER_ZONE), [value]);
  const error = form.errors.fields[name];
  const shown = open && matches.length > 0;
  useEffect(() => {
    if (shown && active >= 0) document.getElementById(`${id}-${active}`)?.scrollIntoView({ block: 'nearest' });
  }, [shown, active]);
  const pick = (zone) => {
    form.set(name, zone);
    setOpen(false);
    setActive(-1);
  };
  // a zone named in full needs no list (a paste, a browser's autofill); part of one opens the zones that hold it
  const typed = (text) => {
    form.set(name, text);
    setOpen(!ZONES.includes(text));
    setActive(-1);
  };
  const move = (step) => {
    setOpen(true);
    setActive((at) => (open ? Math.min(Math.max(at + step, 0), matches.length - 1) : step > 0 ? 0 : matches.length - 1));
  };
  const onKeyDown = (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (event.altKey) setOpen(event.key === 'ArrowDown');
      else move(event.key === 'ArrowDown' ? 1 : -1);
    } else if (event.key === 'Enter' && shown && active >= 0) {
      event.preventDefault(); // the zone is picked; the form is not sent
      pick(matches[active]);
    } else if (event.key === 'Escape' && shown) {
      event.preventDefault();
      setOpen(false);
    }
  };
  const option = (zone, at) => html`<li key=${zone} id=${`${id}-${at}`} role="option" aria-selected=${at === active ? 'true' : 'false'}
      class=${at === active ? 'active' : undefined} onMouseDown=${(event) => event.preventDefault()} onClick=${() => pick(zone)}>
      ${zoneWords(zone)}${zone === BROWSER_ZONE ? html` <span class="muted">(this browser's)</span>` : null}</li>`;
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return html`<div class=${`field zone-picker${error ? ' invalid' : ''}`}>
    <label for=${id}>${label}${required ? html`<span aria-hidden="true" class="required"> *</span>` : null}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    <input id=${id} name=${name} value=${value} required=${required} autocomplete="off" spellcheck=${false}
      role="combobox" aria-autocomplete="list" aria-expanded=${shown ? 'true' : 'false'} aria-controls=${`${id}-list`}
      aria-activedescendant=${shown && active >= 0 ? `${id}-${active}` : undefined}
      aria-invalid=${error ? 'true' : undefined} aria-describedby=${describedBy}
      onInput=${(event) => typed(event.currentTarget.value)}
      onKeyDown=${onKeyDown} onBlur=${() => setOpen(false)} />
    <ul id=${`${id}-list`} role="listbox" aria-label=${`${label}: the zones that match`} hidden=${!shown}>
      ${shown && matches.map(option)}
    </ul>
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}
