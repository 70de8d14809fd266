// The frame around every page: skip link, header with the tenant switcher and the user, navigation, the page.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { accessKnown, backendOf, can, me, onlyServedBy, roleNeeded, roleOn, servedOn } from './access.js';
import { signOut, signedInUser } from './auth.js';
import { current, href, location$ } from './router.js';
import { ConfirmHost } from './ui.js';
import { words } from './lib/format.js';
import { tenantSummary } from './models/alerts.js';
import { useResource } from './models/resource.js';
import { tenantList } from './models/tenants.js';

// what a tenant's navigation offers, each shown only to a role that may call the operation that lists it
const TENANT_NAV = [
  ['Cloud PCs', '/tenants/:tenantId/cloudPCs', 'listCloudPcs'],
  ['Alerts', '/tenants/:tenantId/alerts', 'listAlerts'],
  ['Bulk actions', '/tenants/:tenantId/bulkActions', 'listBulkActions'],
  ['Usage', '/tenants/:tenantId/usage', 'listCloudPcUsage'],
  ['Costs', '/tenants/:tenantId/costs', 'getTenantCosts'],
  ['Provisioning policies', '/tenants/:tenantId/policies', 'listProvisioningPolicies'],
  ['Connections', '/tenants/:tenantId/connections', 'listConnections'],
  ['Device images', '/tenants/:tenantId/images', 'listDeviceImages'],
  ['User settings', '/tenants/:tenantId/userSettings', 'listUserSettings'],
  ['Image sets', '/tenants/:tenantId/imageSets', 'listImageSets'],
  ['Spot Groups', '/tenants/:tenantId/spotGroups', 'listSpotGroups'],
  ['Templates', '/tenants/:tenantId/templates', 'listAppliedTemplates'],
  ['Sites', '/tenants/:tenantId/sites', 'listSites'],
  ['Settings', '/tenants/:tenantId/settings', 'getTenant'],
  ['Onboarding', '/tenants/:tenantId/onboarding', 'getTenantOnboarding'],
  ['Role assignments', '/tenants/:tenantId/roleAssignments', 'listRoleAssignments'],
  ['Audit log', '/tenants/:tenantId/audit', 'listAuditEvents'],
];

const useTenants = () => useResource(tenantList).data || [];

function TenantSwitcher({ tenantId }) {
  const list = useTenants();
  const choose = (event) => {
    const next = event.currentTarget.value;
    if (!next) window.location.hash = '#/';
    else window.location.hash = href('/tenants/:tenantId/cloudPCs', { tenantId: next });
  };
  return html`<label class="tenant-switcher">
    <span>Tenant</span>
    <select onChange=${choose} value=${tenantId || ''}>
      <option value="">All tenants (overview)</option>
      ${list.map((tenant) => html`<option value=${tenant.id}>${tenant.displayName}</option>`)}
    </select>
  </label>`;
}

/** The open tenant's alerts not resolved (its summary's activeAlerts), as a link to its Alerts page. */
function AlertCount({ tenantId }) {
  const count = useResource(tenantSummary(tenantId)).data?.activeAlerts;
  if (count === undefined) return null;
  // the words stay in the link's name where a phone's header shows only the number
  return html`<a class=${`alert-count${count ? ' raised' : ''}`} href=${href('/tenants/:tenantId/alerts', { tenantId })}>
    <span class="alert-count-number">${count.toLocaleString()}</span><span class="alert-count-words">${count === 1 ? ' active alert' : ' active alerts'}</span></a>`;
}

function isCurrent(pattern, tenantId) {
  const target = href(pattern, { tenantId }).slice(1);
  const path = location$.value.path;
  // a tenant's own pages are not the Tenants list's: only the tenant sections match below themselves
  return path === target || (Boolean(tenantId) && path.startsWith(`${target}/`));
}

function Navigation({ tenantId }) {
  const list = useTenants();
  const tenant = list.find((entry) => entry.id === tenantId);
  const link = (label, pattern, params = {}) => html`<li><a href=${href(pattern, params)}
    aria-current=${isCurrent(pattern, params.tenantId) ? 'page' : undefined}>${label}</a></li>`;
  // on a phone the navigation is a menu behind a button, closed again once a page is chosen
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [location$.value.path]);
  return html`<nav class=${`side-nav${open ? ' open' : ''}`} aria-label="Main">
    <button type="button" class="button secondary menu-button" aria-expanded=${open ? 'true' : 'false'} aria-controls="nav-lists"
      onClick=${() => setOpen(!open)}>${open ? 'Close menu' : 'Menu'}</button>
    <div id="nav-lists" class="nav-lists">
    <ul>
      ${link('Overview', '/')}
      ${link('Tenants', '/tenants')}
      ${link('Cloud PCs of every tenant', '/cloudPCs')}
      ${can('listTemplates') && link('Templates', '/templates')}
      ${can('listOrganizationAlertRules') && link('Alert rules for every tenant', '/alertRules')}
    </ul>
    ${tenantId && html`<h2 class="nav-heading">${tenant?.displayName || 'Tenant'}</h2>
      <ul>
        ${TENANT_NAV.filter(([, , operation]) => can(operation, tenantId)).map(([label, pattern]) => link(label, pattern, { tenantId }))}
      </ul>`}
    </div>
  </nav>`;
}

/** A page the caller's role cannot use: said plainly, with who can change it, instead of a form the API refuses. */
function RoleNeeded({ route, tenantId }) {
  if (!accessKnown()) return html`<section class="page"><h1 id="page-title" tabindex="-1">Checking your role…</h1></section>`;
  const needed = roleNeeded(route.needs);
  const role = roleOn(tenantId);
  return html`<section class="page" aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Your role cannot do this here</h1>
    <p>To ${route.doing} on this tenant you need the ${words(needed || 'administrator')} role; ${role ? html`you are ${words(role).toLowerCase()}` : 'you have no role on it'}.</p>
    <p>An owner of this tenant, or an organization owner, can give it to you under Role assignments.</p>
    <p><a href=${href('/tenants/:tenantId/cloudPCs', { tenantId })}>Back to the tenant's Cloud PCs</a></p>
  </section>`;
}

const BACKEND_WORDS = { azure: 'this app, in the customer\'s Azure subscription', windows365: 'Windows 365' };

/** A page of the other backend's (user settings are Windows 365's): said plainly instead of a list that cannot load. */
function NotServed({ route, tenantId }) {
  const only = onlyServedBy(route.needs);
  return html`<section class="page" aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Not for this tenant's Cloud PCs</h1>
    <p>To ${route.doing} the tenant's Cloud PCs must be provisioned by ${BACKEND_WORDS[only] || only}; this tenant's are
      provisioned by ${BACKEND_WORDS[backendOf(tenantId)] || backendOf(tenantId)}.</p>
    <p><a href=${href('/tenants/:tenantId/cloudPCs', { tenantId })}>Back to the tenant's Cloud PCs</a></p>
  </section>`;
}

function NotFound() {
  return html`<section class="page"><h1 id="page-title">Page not found</h1><p>There is no page at this address. <a href="#/">Go to the overview</a>.</p></section>`;
}

export function Shell() {
  const found = current();
  const tenantId = found?.params.tenantId;
  const refused = found?.route.needs && !(accessKnown() && can(found.route.needs, tenantId));
  const unserved = !refused && found?.route.needs && !servedOn(found.route.needs, tenantId);
  const Component = refused ? () => html`<${RoleNeeded} route=${found.route} tenantId=${tenantId} />`
    : unserved ? () => html`<${NotServed} route=${found.route} tenantId=${tenantId} />`
      : found?.route.component || NotFound;
  const user = signedInUser();
  const role = tenantId ? roleOn(tenantId) : null;
  useEffect(() => {
    window.scrollTo(0, 0); // a new page opens at its top, not where the last one was scrolled to
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [location$.value.path]);
  return html`<a class="skip-link" href="#main" onClick=${(event) => { event.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <header class="top-bar">
      <a class="brand" href="#/">Cloud PC provisioning</a>
      <${TenantSwitcher} tenantId=${tenantId} />
      ${tenantId && can('listAlerts', tenantId) && can('getTenantSummary', tenantId) && html`<${AlertCount} key=${tenantId} tenantId=${tenantId} />`}
      <div class="user">
        <a class="user-name" href="#/me" title="Your principal id and roles">${user?.name || user?.preferred_username || me.value?.name || 'Signed in'}</a>
        ${role && html`<span class="role-badge" title="Your role on this tenant">${words(role)}</span>`}
        ${me.value?.organizationOwner && !role && html`<span class="role-badge">Organization owner</span>`}
        <button type="button" class="button subtle" onClick=${() => signOut()}>Sign out</button>
      </div>
    </header>
    <div class="layout">
      <${Navigation} tenantId=${tenantId} />
      <main id="main" tabindex="-1">
        <${Component} key=${location$.value.path} params=${found?.params || {}} query=${location$.value.query} />
      </main>
    </div>
    <${ConfirmHost} />`;
}
