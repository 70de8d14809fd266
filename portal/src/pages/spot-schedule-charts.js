// A schedule's charts: the week's phases (7 days × 24 hours, lib/schedule.js lays it out) and a replay's hosts hour by hour, each with its table.
import { html } from 'htm/preact';
import { ScrollRegion } from '../ui.js';
import { PHASE_WORDS, clock, describeDay, phaseHours } from '../lib/schedule.js';
import { layoutReplay } from '../lib/replay-chart.js';
import { words } from '../lib/format.js';
import { SCHEDULE_PHASES } from '../vocabulary.js';

const SHORT = { rampUp: 'Up', peak: 'Peak', rampDown: 'Down', offPeak: 'Off' };
const WEEK = { width: 880, label: 96, top: 22, row: 30, gap: 6 };
// a label is drawn in its phase only where it fits (12 px semibold: about 7.5 px a character, and a margin each side)
const fits = (text, width) => text.length * 7.5 + 12 <= width;
const hourX = (minutes) => WEEK.label + (minutes / 1440) * (WEEK.width - WEEK.label);

/** The patterns that tell the phases apart without their colours (and print in black and white). */
function Patterns() {
  return html`<defs>
    <pattern id="phase-rampUp" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <rect width="8" height="8" class="fill-rampUp" /><line x1="0" y1="0" x2="0" y2="8" class="stripe" /></pattern>
    <pattern id="phase-rampDown" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
      <rect width="8" height="8" class="fill-rampDown" /><line x1="0" y1="0" x2="0" y2="8" class="stripe" /></pattern>
    <pattern id="phase-builtIn" width="6" height="6" patternUnits="userSpaceOnUse">
      <rect width="6" height="6" class="fill-offPeak" /><circle cx="3" cy="3" r="1" class="dot" /></pattern>
    <pattern id="phase-staging" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <rect width="4" height="4" class="fill-staging" /><line x1="0" y1="0" x2="0" y2="4" class="stripe-light" /></pattern>
  </defs>`;
}

const phaseClass = (segment) => `phase phase-${segment.set === null ? 'builtIn' : segment.phase}`;

function segmentTitle(entry, segment) {
  const what = segment.set === null ? 'The built-in rule' : `${PHASE_WORDS[segment.phase]}${segment.carried ? ` (from ${words(segment.carriedFrom)})` : ''}`;
  return `${words(entry.day)} ${clock(segment.from)}–${clock(segment.to)}: ${what}`;
}

/** The week's phases: a row a day, an hour a column, each phase its colour, pattern and name; the table says the same. */
export function WeekChart({ layout, timeZone }) {
  const height = WEEK.top + layout.days.length * (WEEK.row + WEEK.gap);
  const hours = phaseHours(layout);
  const summary = layout.builtIn ? `No weekday set: the built-in rule runs all week, in ${timeZone}.`
    : `The week in ${timeZone}: ${SCHEDULE_PHASES.map((name) => `${PHASE_WORDS[name].toLowerCase()} ${Number(hours[name].toFixed(1))} hours`).join(', ')}. The table below gives each day's phases.`;
  const staged = layout.days.some((entry) => entry.staging.length);
  return html`<figure class="week-chart">
    <svg viewBox=${`0 0 ${WEEK.width} ${height}`} width=${WEEK.width} height=${height} role="img" aria-label=${summary}>
      <${Patterns} />
      ${Array.from({ length: 25 }, (_, hour) => html`<g key=${hour} class="axis">
        <line x1=${hourX(hour * 60)} x2=${hourX(hour * 60)} y1=${WEEK.top - 4} y2=${height - WEEK.gap} class=${hour % 6 ? 'tick' : 'tick major'} />
        ${hour % 3 === 0 && html`<text x=${hourX(hour * 60)} y="12" text-anchor=${hour === 0 ? 'start' : hour === 24 ? 'end' : 'middle'}>${clock(hour * 60)}</text>`}</g>`)}
      ${layout.days.map((entry, index) => {
        const y = WEEK.top + index * (WEEK.row + WEEK.gap);
        return html`<g key=${entry.day}>
          <text x="0" y=${y + WEEK.row / 2 + 4} class="day-label">${words(entry.day)}</text>
          ${entry.segments.map((segment) => {
            const x = hourX(segment.from);
            const width = hourX(segment.to) - x;
            const full = segment.set === null ? 'Built-in rule' : PHASE_WORDS[segment.phase];
            const name = [full, SHORT[segment.phase]].find((one) => fits(one, width)) || '';
            return html`<g key=${segment.from}>
              <rect x=${x} y=${y} width=${width} height=${WEEK.row} class=${phaseClass(segment)}><title>${segmentTitle(entry, segment)}</title></rect>
              ${name && html`<text x=${x + 6} y=${y + WEEK.row / 2 + 4} class=${`phase-name phase-name-${segment.set === null ? 'builtIn' : segment.phase}`}>${name}</text>`}</g>`;
          })}
          ${entry.staging.map((window) => html`<rect key=${`staging-${window.from}`} x=${hourX(window.from)} y=${y + WEEK.row - 7}
            width=${hourX(window.to) - hourX(window.from)} height="7" class="staging"><title>${`${words(entry.day)} ${clock(window.from)}–${clock(window.to)}: pre-staging`}</title></rect>`)}
        </g>`;
      })}
    </svg>
    <figcaption class="legend">
      ${SCHEDULE_PHASES.map((name) => html`<span key=${name}><svg width="28" height="14" aria-hidden="true"><rect width="28" height="14" class=${`phase phase-${name}`} /></svg> ${PHASE_WORDS[name]}</span>`)}
      ${layout.builtIn && html`<span><svg width="28" height="14" aria-hidden="true"><rect width="28" height="14" class="phase phase-builtIn" /></svg> Built-in rule</span>`}
      ${staged && html`<span><svg width="28" height="14" aria-hidden="true"><rect y="7" width="28" height="7" class="staging" /></svg> Pre-staging</span>`}
      <span class="muted">Hours in ${timeZone}; holidays are listed below, not drawn.</span>
    </figcaption>
  </figure>
  <${ScrollRegion} label="Each day's phases"><table class="week-table">
    <caption>Each day's phases</caption>
    <thead><tr><th scope="col">Day</th><th scope="col">Weekday set</th><th scope="col">Phases, from midnight</th></tr></thead>
    <tbody>${layout.days.map((entry) => html`<tr key=${entry.day}>
      <th scope="row">${words(entry.day)}</th>
      <td>${entry.set === null ? 'None' : `Set ${entry.set + 1}`}</td>
      <td>${describeDay(entry)}</td></tr>`)}</tbody>
  </table></${ScrollRegion}>`;
}

const hostHours = (value) => Number(value.toFixed(2));

/** The replay's hosts hour by hour: bars for what the users needed, a line for each schedule, marks where sign-ins found
 * no free session; the totals and every hour as tables. */
export function ReplayChart({ replay, timeZone }) {
  const layout = layoutReplay(replay, { timeZone });
  const current = replay.currentIsDefault ? 'Current: the built-in rule' : 'Current schedule';
  const summary = `Hosts running each hour, ${layout.labels[0]} to ${layout.labels[layout.labels.length - 1]} (${layout.zone}), `
    + `for the proposed schedule (solid line) and the current one (dashed line), over the hosts the users needed (bars). The tables below give the same figures.`;
  return html`<figure class="replay-chart">
    <svg viewBox=${`0 0 ${layout.width} ${layout.height}`} width=${layout.width} height=${layout.height} role="img" aria-label=${summary}>
      ${layout.yTicks.map((tick) => html`<g key=${`y${tick.value}`} class="axis">
        <line x1=${layout.left} x2=${layout.width - 12} y1=${tick.y} y2=${tick.y} class="tick" />
        <text x=${layout.left - 6} y=${tick.y + 4} text-anchor="end">${tick.value}</text></g>`)}
      <text x="0" y="12" class="axis-title">Hosts</text>
      ${layout.bars.map((bar, index) => bar.value > 0 && html`<rect key=${`bar${index}`} x=${bar.x} y=${bar.y} width=${bar.width} height=${bar.height} class="needed">
        <title>${`${bar.hour}: ${replay.hours[index].peakSessions} users at most, ${bar.value} hosts needed`}</title></rect>`)}
      <path d=${layout.proposed} class="line-proposed" />
      <path d=${layout.current} class="line-current" />
      ${layout.failed.map((mark) => html`<g key=${`${mark.series}${mark.x}`} class=${`refused refused-${mark.series}`}>
        <path d=${`M${mark.x - 5} ${mark.y - 12} l10 0 l-5 8 z`}><title>${`${mark.hour}: ${mark.count} sign-ins with no free session (${mark.series})`}</title></path></g>`)}
      ${layout.xTicks.map((tick) => html`<g key=${`x${tick.x}`} class="axis">
        <line x1=${tick.x} x2=${tick.x} y1=${layout.baseline} y2=${layout.baseline + 5} class="tick" />
        <text x=${tick.x} y=${layout.baseline + 18} text-anchor="start">${tick.label}</text></g>`)}
    </svg>
    <figcaption class="legend">
      <span><svg width="28" height="14" aria-hidden="true"><line x1="0" x2="28" y1="7" y2="7" class="line-proposed" /></svg> Proposed schedule</span>
      <span><svg width="28" height="14" aria-hidden="true"><line x1="0" x2="28" y1="7" y2="7" class="line-current" /></svg> ${current}</span>
      <span><svg width="28" height="14" aria-hidden="true"><rect x="6" y="2" width="16" height="12" class="needed" /></svg> Hosts the users needed</span>
      <span><svg width="28" height="14" aria-hidden="true"><path d="M9 2 l10 0 l-5 8 z" class="refused-current" /></svg> Sign-ins with no free session</span>
      <span class="muted">Hours in ${layout.zone}.</span>
    </figcaption>
  </figure>`;
}

/** The totals, proposed beside current, as a table. */
export function ReplayTotals({ replay }) {
  const rows = [
    ['Host-hours', (figures) => hostHours(figures.hostHours)],
    ['Most hosts running', (figures) => figures.peakHostsRunning],
    ['Sign-ins with no free session', (figures) => figures.failedSignIns],
  ];
  return html`<div class="replay-totals"><${ScrollRegion} label="Totals"><table>
    <caption>Totals</caption>
    <thead><tr><th scope="col">Figure</th><th scope="col" class="number">Proposed</th>
      <th scope="col" class="number">${replay.currentIsDefault ? 'Current (built-in rule)' : 'Current'}</th></tr></thead>
    <tbody>${rows.map(([label, value]) => html`<tr key=${label}><th scope="row">${label}</th>
      <td class="number">${value(replay.proposed)}</td><td class="number">${value(replay.current)}</td></tr>`)}</tbody>
  </table></${ScrollRegion}></div>`;
}

/** Every hour's figures, folded away (two weeks are 336 rows). */
export function ReplayHours({ replay, timeZone }) {
  const { labels } = layoutReplay(replay, { timeZone });
  return html`<details class="replay-hours">
    <summary>Hour by hour (${replay.hours.length} hours)</summary>
    <${ScrollRegion} label="Hour by hour"><table>
      <caption>Hour by hour</caption>
      <thead><tr><th scope="col">Hour</th><th scope="col" class="number">Users at most</th>
        <th scope="col" class="number">Host-hours, proposed</th><th scope="col" class="number">Host-hours, current</th>
        <th scope="col" class="number">No free session, proposed</th><th scope="col" class="number">No free session, current</th></tr></thead>
      <tbody>${replay.hours.map((hour, index) => html`<tr key=${hour.start}>
        <th scope="row">${labels[index]}</th><td class="number">${hour.peakSessions}</td>
        <td class="number">${hostHours(hour.proposed.hostHours)}</td><td class="number">${hostHours(hour.current.hostHours)}</td>
        <td class="number">${hour.proposed.failedSignIns}</td><td class="number">${hour.current.failedSignIns}</td></tr>`)}</tbody>
    </table></${ScrollRegion}>
  </details>`;
}
