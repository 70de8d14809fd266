// A customer tenant's onboarding checklist: admin consent, Graph permissions and Azure roles, each with its fix.
import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import { can } from '../access.js';
import { href, page } from '../router.js';
import { ActionButton, AsOf, DataTable, ErrorBanner, Field, Notice, Page, StatusBadge, useForm } from '../ui.js';
import { dateTime, forReaders } from '../lib/format.js';
import { consentOutcome, onboarding } from '../models/onboarding.js';
import { useResource } from '../models/resource.js';
import { setSubscriptions, tenantList } from '../models/tenants.js';

const KINDS = { link: 'Link', consent: 'Consent', graphPermission: 'Microsoft Graph permission', azureRole: 'Azure role' };

// an Azure role's fix names every missing action and the commands: folded, with the count as its summary
function fixOf(item) {
  if (!item.fix) return html`<span class="muted">—</span>`;
  const actions = item.missingActions?.length || 0;
  if (!actions) return html`<code class="fix">${item.fix}</code>`;
  return html`<details><summary>${actions} ${actions === 1 ? 'action' : 'actions'} missing here: how to grant ${actions === 1 ? 'it' : 'them'}</summary>
    <code class="fix">${item.fix}</code></details>`;
}

const ALTERNATIVE_COLUMNS = [
  { label: 'Built-in role', render: (role) => html`<strong>${role.name}</strong>` },
  { label: 'Where', render: (role) => ({ subscription: 'The subscription', resourceGroup: "Each site's resource group", network: "Each site's network group" })[role.scope] },
  { label: 'Grants beyond what the app uses', render: (role) => role.overGrants },
];

// the tenant's background work Azure or Graph refused lately; each row goes once that work succeeds again
const REFUSED_WORK = {
  directoryReconcile: 'Reading the assigned groups\' members and their licenses',
  userReconcile: 'Confirming a changed user\'s group memberships',
  directoryNotifications: 'Following the directory\'s changes',
  cleanUp: 'Removing a deprovisioned Cloud PC\'s devices and network interfaces',
};
const REFUSED_COLUMNS = [
  { label: 'Work', render: (item) => html`<strong>${REFUSED_WORK[item.work] || item.work}</strong>` },
  { label: 'Refused', render: (item) => html`${item.summary && html`${item.summary} `}${forReaders(item.message)} <code>${item.code}</code>` },
  { label: 'Since', render: (item) => dateTime(item.firstRefusedDateTime) },
];

// named before the first site: the checklist asks for the app's role at each, and the site form lists them once granted
function Subscriptions({ tenantId }) {
  const tenant = useResource(tenantList).data?.find((one) => one.id === tenantId);
  const form = useForm({ subscriptionId: '' });
  if (!tenant) return null;
  const named = tenant.subscriptionIds || [];
  const editable = can('updateTenant', tenantId);
  const save = async (subscriptionIds) => {
    form.clear();
    try {
      await setSubscriptions(tenant, subscriptionIds, onboarding(tenantId));
      form.setValues({ subscriptionId: '' });
    } catch (error) {
      form.fail(error);
    }
  };
  const add = () => save([...named, form.values.subscriptionId.trim()]);
  return html`<section class="card" aria-labelledby="subscriptions">
    <h2 id="subscriptions">Subscriptions the customer will use</h2>
    <p>Named here before the first site, each gets its line in the checklist, where the app's role there is checked;
      once the customer's admin grants it, the site form lists the subscription by its name.</p>
    <${ErrorBanner} error=${form.errors.general} title="Not changed" />
    ${named.length ? html`<ul aria-label="Subscriptions named">${named.map((id) => html`<li key=${id}><code>${id}</code>
      ${editable && html` <${ActionButton} kind="subtle" label=${`Remove the subscription ${id}`} onClick=${() => save(named.filter((other) => other !== id))}
        busyLabel="Removing…">Remove</${ActionButton}>`}</li>`)}</ul>` : html`<p class="muted">None named yet.</p>`}
    ${editable && html`<form onSubmit=${(event) => { event.preventDefault(); add(); }} aria-label="Name a subscription">
      <${Field} form=${form} name="subscriptionId" label="Subscription id" required placeholder="00000000-0000-0000-0000-000000000000"
        hint="As the customer's admin gives it (Azure portal, Subscriptions): the app cannot see the customer's subscriptions before it holds a role there." />
      <${ActionButton} type="submit" onClick=${add} busyLabel="Adding…">Add subscription</${ActionButton}>
    </form>`}
  </section>`;
}

function Onboarding({ params }) {
  const { tenantId } = params;
  const poll = useResource(onboarding(tenantId));
  const report = poll.data;
  const returned = consentOutcome.value?.tenantId === tenantId ? consentOutcome.value : null;
  useEffect(() => () => { consentOutcome.value = null; }, []); // said once: gone when the admin leaves the page
  const columns = [
    { label: 'Needed', render: (item) => html`<strong>${item.name}</strong><br /><span class="muted">${KINDS[item.kind]}</span>` },
    { label: 'Where', render: (item) => (item.scope ? html`<code>${item.scope}</code>` : html`<span class="muted">The tenant</span>`) },
    { label: 'Status', render: (item) => html`<${StatusBadge} status=${item.status} />` },
    { label: 'Why the app needs it', render: (item) => item.reason },
    { label: 'Fix', render: fixOf },
  ];
  const missing = report ? report.items.filter((item) => item.fix).length : 0; // missing, or not there to check
  const noConsent = report?.items.some((item) => item.kind === 'consent' && item.status === 'missing');
  return html`<${Page} title="Onboarding" subtitle="What the app needs in this customer's tenant, as the app itself finds it there." actions=${html`<${AsOf} poll=${poll} />`}>
    ${returned && html`<${Notice} kind=${returned.granted ? 'success' : 'warning'}>${returned.message}</${Notice}>`}
    <${ErrorBanner} error=${poll.error} />
    ${report && (report.ready
      ? html`<${Notice}>Ready: the app can do everything it does in this tenant. Next: <a href=${href('/tenants/:tenantId/sites', { tenantId })}>its sites</a>.</${Notice}>`
      : html`<${Notice} kind="warning">${missing} ${missing === 1 ? 'item needs' : 'items need'} the customer's admin.${noConsent && report.adminConsentUrl
        ? html` Their admin consents in one step at <a href=${report.adminConsentUrl}>the admin consent page</a>, and come back here.` : null}</${Notice}>`)}
    <${DataTable} caption="Checklist" columns=${columns} rows=${report?.items} rowKey=${(item) => `${item.kind}/${item.name}/${item.scope || ''}`} />
    ${report?.entraTenantId && html`<${Subscriptions} tenantId=${tenantId} />`}
    ${report?.refusedWork?.length > 0 && html`<${DataTable} caption="Work refused for want of a permission"
      columns=${REFUSED_COLUMNS} rows=${report.refusedWork} rowKey=${(item) => item.work} />`}
    ${report?.customRoleCommand && html`<section aria-labelledby="custom-role">
      <h2 id="custom-role">The ${report.customRole?.Name} role</h2>
      <p>Exactly the Azure actions the app uses, as one custom role: the customer's admin creates it once, then assigns it
        where the checklist says (at the subscription, it covers every resource group in it).</p>
      <pre class="fix" tabindex="0" aria-label="The command that creates the role">${report.customRoleCommand}</pre>
      <p>Assign it with this condition, so that the app can give only the roles it gives (the two VM sign-in roles and
        Desktop Virtualization User):</p>
      <pre class="fix" tabindex="0" aria-label="The condition to assign the role with">${report.customRoleCondition}</pre>
      <${DataTable} caption="Or built-in roles, which grant more" columns=${ALTERNATIVE_COLUMNS}
        rows=${report.builtInAlternatives} rowKey=${(role) => role.roleDefinitionId} />
    </section>`}
  </${Page}>`;
}

page('/tenants/:tenantId/onboarding', Onboarding);
