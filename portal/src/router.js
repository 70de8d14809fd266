// The current location as a signal, and the page registry every page module adds itself to.
import { signal } from '@preact/signals';
import { compile, href, match, parseHash } from './lib/routes.js';

export const location$ = signal(parseHash(window.location.hash));
window.addEventListener('hashchange', () => {
  location$.value = parseHash(window.location.hash);
});

const routes = [];

/** Registers a page: `page('/tenants/:tenantId/sites', SitesPage, {title: 'Sites', nav: 'Sites'})`. */
export function page(pattern, component, options = {}) {
  routes.push({ pattern, component, matcher: compile(pattern), ...options });
}

export function current() {
  return match(routes, location$.value.path);
}

export function navItems() {
  return routes.filter((route) => route.nav);
}

export function go(pattern, params, query) {
  window.location.hash = href(pattern, params, query);
}

/** Replaces the query of the current page (filters, paging) without a new history entry per keystroke. */
export function setQuery(query) {
  const next = href(location$.value.path, {}, query);
  history.replaceState(null, '', next);
  location$.value = parseHash(next);
}

export { href };
