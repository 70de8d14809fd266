// A Cloud PC's timeline drawn: an SVG of one run's attempts and steps (lib/timeline.js lays it out), and every line as a table.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Failure, ScrollRegion, StatusBadge } from '../ui.js';
import { outcomeBadge } from '../lib/cloud-pcs.js';
import { dateTime, duration, plural, time, words } from '../lib/format.js';
import { OUTCOMES, layoutTimeline, lineMessage, lineName } from '../lib/timeline.js';

const OUTCOME_WORDS = { succeeded: 'succeeded', failed: 'failed', warning: 'with warnings', running: 'running', info: 'noted' };

function describe(bar) {
  const took = bar.running ? `running for ${duration(bar.end - bar.start)}` : `took ${duration(bar.end - bar.start)}`;
  return `${lineName(bar.name)} (${words(bar.stage)}): ${OUTCOME_WORDS[bar.outcome] || bar.outcome}, ${took}${bar.message ? `. ${lineMessage(bar.message)}` : ''}`;
}

function describeMarker(marker) {
  return `${lineName(marker.name)} at ${time(marker.time)}${marker.message ? `. ${lineMessage(marker.message)}` : ''}`;
}

function Marker({ marker, onChoose }) {
  const size = 6;
  const points = `${marker.x},${marker.y - size} ${marker.x + size},${marker.y} ${marker.x},${marker.y + size} ${marker.x - size},${marker.y}`;
  return html`<polygon points=${points} class=${`mark mark-${marker.outcome}`} onClick=${() => onChoose(marker.key)}>
    <title>${describeMarker(marker)}</title></polygon>`;
}

// a touch screen has no hover: a tap on a bar or a mark shows the line its tooltip holds under the chart, kept up to
// date as the chart refreshes (pointer only: the keyboard and a screen reader have the same lines in the table below)
function Chart({ layout, narrow }) {
  const [chosen, setChosen] = useState(null);
  const chosenBar = layout.bars.find((bar) => bar.key === chosen);
  const chosenMarker = layout.markers.find((marker) => marker.key === chosen);
  const attempts = layout.rows.length;
  const failed = layout.rows.filter((row) => row.outcome === 'failed').length;
  const summary = `Run ${layout.run}: ${attempts} attempt${attempts === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}, ${plural(layout.bars.length, 'step')} from ${time(layout.start)}. The table below lists the same steps.`;
  return html`<figure class="timeline-chart">
    <svg viewBox=${`0 0 ${layout.width} ${layout.height}`} width=${layout.width} height=${layout.height} role="img" aria-label=${summary}>
      <defs>
        <pattern id="timeline-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" class="bar-failed" /><line x1="0" y1="0" x2="0" y2="6" class="hatch" />
        </pattern>
      </defs>
      ${layout.ticks.map((tick) => html`<g key=${tick.offset} class="axis">
        <line x1=${tick.x} x2=${tick.x} y1="16" y2=${layout.height} class="tick" />
        <text x=${tick.x} y="11" text-anchor=${tick.anchor}>${tick.label}</text></g>`)}
      ${layout.rows.map((row) => html`<text key=${row.key} x="0" y=${row.y + 15} class="row-label">${row.label}
        ${narrow ? html`<tspan class="row-outcome" x="0" dy="14">${words(OUTCOME_WORDS[row.outcome])}</tspan>`
          : html`<tspan class="row-outcome"> · ${words(OUTCOME_WORDS[row.outcome])}</tspan>`}</text>`)}
      ${layout.bars.map((bar) => html`<rect key=${bar.key} x=${bar.x} y=${bar.y} width=${bar.width} height=${bar.height} rx="2"
        class=${`bar bar-${bar.outcome}${bar === chosenBar ? ' chosen' : ''}`} onClick=${() => setChosen(bar.key)}><title>${describe(bar)}</title></rect>`)}
      ${layout.markers.map((marker) => html`<${Marker} key=${marker.key} marker=${marker} onChoose=${setChosen} />`)}
    </svg>
    <figcaption class="legend">
      ${OUTCOMES.map((outcome) => html`<span key=${outcome}><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" rx="2"
        class=${`bar bar-${outcome}`} /></svg> ${words(OUTCOME_WORDS[outcome])}</span>`)}
      <span><svg width="14" height="14" aria-hidden="true"><polygon points="7,1 13,7 7,13 1,7" class="mark mark-info" /></svg> Milestone</span>
      <span class="muted">Time from ${time(layout.start)}; tap or hover a bar for its step.</span>
    </figcaption>
    <p class="timeline-line" aria-live="polite">${chosenBar ? describe(chosenBar) : chosenMarker ? describeMarker(chosenMarker) : ''}</p>
  </figure>`;
}

function EventTable({ events, run }) {
  const started = (event) => new Date(event.startDateTime || event.dateTime).getTime();
  const sorted = [...events].sort((a, b) => started(a) - started(b) || (a.id < b.id ? -1 : 1));
  const manyRuns = new Set(events.map((event) => event.run)).size > 1;
  return html`<${ScrollRegion} label="Every step and milestone"><table class="timeline-table">
    <caption>Every step and milestone${run ? ` of run ${run}` : ''}</caption>
    <thead><tr>
      <th scope="col">Started</th>${manyRuns && html`<th scope="col">Run</th>`}<th scope="col">Attempt</th><th scope="col">Step or milestone</th>
      <th scope="col">Stage</th><th scope="col">Outcome</th><th scope="col" class="number">Took</th><th scope="col">Detail</th>
    </tr></thead>
    <tbody>${sorted.map((event) => {
      const badge = outcomeBadge(event.outcome);
      const took = event.startDateTime && event.endDateTime ? duration(new Date(event.endDateTime) - new Date(event.startDateTime)) : event.outcome === 'running' ? 'running' : '—';
      return html`<tr key=${event.id} class=${event.kind === 'milestone' ? 'milestone' : ''}>
        <td>${dateTime(event.startDateTime || event.dateTime)}</td>
        ${manyRuns && html`<td class="number">${event.run}</td>`}
        <td class="number">${event.attempt || '—'}</td>
        <td>${lineName(event.name)}${event.kind === 'milestone' ? html` <span class="muted">(milestone)</span>` : ''}</td>
        <td>${words(event.stage)}</td>
        <td><${StatusBadge} status=${badge.status} label=${badge.label} /></td>
        <td class="number">${took}</td>
        <td>${event.summary ? html`<${Failure} detail=${event} compact />` : html`${lineMessage(event.message)}${event.code ? html` <code>${event.code}</code>` : ''}`}</td>
      </tr>`;
    })}</tbody>
  </table></${ScrollRegion}>`;
}

// the chart is drawn at the width it is shown (so its 12 px labels stay 12 px), the labels' column narrower on a phone
function useWidth(drawn) {
  const box = useRef(null);
  const [width, setWidth] = useState(880);
  useEffect(() => {
    if (!box.current) return undefined;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.round(entry.contentRect.width)));
    observer.observe(box.current);
    return () => observer.disconnect();
  }, [drawn]);
  return [box, Math.max(300, Math.min(880, width))];
}

export function Timeline({ events, asOf }) {
  const [run, setRun] = useState(null);
  const [box, width] = useWidth(events.length > 0);
  const narrow = width < 560;
  const layout = layoutTimeline(events, { now: asOf ? asOf.getTime() : Date.now(), run, width, labelWidth: narrow ? 88 : 168 });
  if (!events.length) return html`<p class="muted">No steps yet: the timeline starts when provisioning does.</p>`;
  return html`<div class="timeline" ref=${box}>
    ${layout.runs.length > 1 && html`<div class="field timeline-run">
      <label for="timeline-run">Run</label>
      <select id="timeline-run" value=${layout.run} onChange=${(event) => setRun(Number(event.currentTarget.value))}>
        ${layout.runs.map((one) => html`<option value=${one}>Run ${one}${one === layout.runs[layout.runs.length - 1] ? ' (latest)' : ''}</option>`)}
      </select>
      <p class="hint">A retry or a reprovision starts a new run.</p>
    </div>`}
    ${layout.bars.length + layout.markers.length > 0 && html`<${Chart} layout=${layout} narrow=${narrow} />`}
    <${EventTable} events=${layout.runs.length > 1 ? events.filter((event) => event.run === layout.run) : events} run=${layout.runs.length > 1 ? layout.run : null} />
  </div>`;
}
