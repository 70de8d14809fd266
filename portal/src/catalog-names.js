// The names people read for the API's fixed lists: a region by its display name, a language by its name.
import { html } from 'htm/preact';
import { languages, regions } from './models/catalog.js';
import { useResource } from './models/resource.js';

/** A locale's name from the API's language list (`choices.languages`), or the tag itself. */
export function languageName(locale, choices) {
  return choices?.languages?.find((language) => language.locale === locale)?.displayName || locale || '—';
}

/** A locale by its name, where no policy choices are at hand. */
export function LanguageName({ locale }) {
  return languageName(locale, { languages: useResource(languages).data });
}

/** A region by its display name ("West Europe"), its ARM name until the list is read. */
export function RegionName({ name }) {
  return html`${useResource(regions).data?.find((region) => region.name === name)?.displayName || name}`;
}
