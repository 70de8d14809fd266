// The names people read for the API's fixed lists and the customer's Azure: a region, a language, a subscription.
import { html } from 'htm/preact';
import { languages, regions } from './models/catalog.js';
import { useResource } from './models/resource.js';
import { subscriptions } from './models/sites.js';

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

/** A customer's subscription by its name, once the app can list the tenant's subscriptions; its id until then. */
export function SubscriptionName({ tenantId, id }) {
  const listed = useResource(tenantId ? subscriptions(tenantId) : null).data;
  const name = listed?.find((one) => one.subscriptionId.toLowerCase() === String(id).toLowerCase())?.displayName;
  return name ? html`<span title=${id}>${name}</span>` : html`<code>${id}</code>`;
}
