// The IANA time zones an admin picks from: the browser's own first, then those whose name holds what was typed.
const SHOWN = 50; // at most: a list to scan, not to scroll through; typing narrows it

/** Every zone the browser knows (IANA names), UTC among them. */
export function knownZones(intl = Intl) {
  const zones = typeof intl.supportedValuesOf === 'function' ? intl.supportedValuesOf('timeZone') : [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

/** 'America/New_York' as people write it: 'America/New York'. */
export const zoneWords = (zone) => zone.replaceAll('_', ' ');

const folded = (text) => zoneWords(String(text || '')).toLowerCase().trim();

/**
 * The zones to offer for `typed` text: with none typed (or a zone named exactly, as after a pick), every zone; else
 * those whose name holds the text, in any case and with spaces for underscores, the ones whose city starts with it
 * first. The browser's own zone leads whenever it is among them. At most `limit`.
 */
export function zoneMatches(zones, typed, browserZone, limit = SHOWN) {
  const text = folded(typed);
  const exact = zones.some((zone) => folded(zone) === text);
  const city = (zone) => folded(zone.slice(zone.lastIndexOf('/') + 1));
  const found = !text || exact ? [...zones] : zones.filter((zone) => folded(zone).includes(text))
    .sort((a, b) => Number(!city(a).startsWith(text)) - Number(!city(b).startsWith(text)));
  const own = found.indexOf(browserZone);
  if (own > 0) found.unshift(...found.splice(own, 1));
  return found.slice(0, limit);
}
