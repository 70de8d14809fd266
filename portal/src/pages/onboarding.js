// A customer tenant's onboarding checklist: admin consent, Graph permissions and Azure roles, each with its fix.
import { signal } from '@preact/signals';
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { backendOf, can } from '../access.js';
import { adminGrantFor, adminSignIn, forgetAdminGrant } from '../auth.js';
import { href, page } from '../router.js';
import { ActionButton, AsOf, CopyButton, DataTable, ErrorBanner, Field, Notice, Page, StatusBadge, useForm } from '../ui.js';
import { dateTime, forReaders } from '../lib/format.js';
import { adminSubscriptions, consentOutcome, delegationTemplate, grantAzureAccess, grantGraphPermissions, onboarding, setAzureAccess } from '../models/onboarding.js';
import { useResource } from '../models/resource.js';
import { subscriptions } from '../models/sites.js';
import { setSubscriptions, tenantList } from '../models/tenants.js';

const KINDS = { link: 'Link', consent: 'Consent', graphPermission: 'Microsoft Graph permission', azureRole: 'Azure role' };

// a missing item's fix, in words or with its one command; an Azure role's names every missing action: folded, with the
// count as its summary
function fixOf(item) {
  if (!item.fix) return html`<span class="muted">—</span>`;
  if (item.kind === 'link') return item.fix; // words, not a command
  const actions = item.missingActions?.length || 0;
  const where = item.scope ? ` at ${item.scope}` : '';
  const copy = item.command && html` <${CopyButton} text=${item.command} label=${`Copy the command for ${item.name}${where}`} />`;
  if (item.kind === 'graphPermission' && item.command) { // words, and the command folded beneath them
    return html`${item.fix}<details><summary>The command</summary><code class="fix">${item.command}</code></details>${copy}`;
  }
  if (!actions) return html`<code class="fix">${item.fix}</code>${copy}`;
  return html`<details><summary>${actions} ${actions === 1 ? 'action' : 'actions'} missing here: how to grant ${actions === 1 ? 'it' : 'them'}</summary>
    <code class="fix">${item.fix}</code>${copy}</details>`;
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
  // the service's code only where no words of ours say what it means
  { label: 'Refused', render: (item) => html`${item.summary && html`${item.summary} `}${forReaders(item.message)}${!item.summary && item.code ? html` <code>${item.code}</code>` : ''}` },
  { label: 'Since', render: (item) => dateTime(item.firstRefusedDateTime) },
];

// named before the first site: the checklist asks for the app's role at each, and the site form lists them once granted
function Subscriptions({ tenantId }) {
  const tenant = useResource(tenantList).data?.find((one) => one.id === tenantId);
  const form = useForm({ subscriptionId: '' });
  const known = useResource(subscriptions(tenantId));
  if (!tenant) return null;
  const named = tenant.subscriptionIds || [];
  // by name once the app holds a role there (it lists them then); the id until it does
  const listed = Object.fromEntries((known.data || []).map((one) => [one.subscriptionId.toLowerCase(), one.displayName]));
  const nameOf = (id) => (listed[id.toLowerCase()] ? html`<strong>${listed[id.toLowerCase()]}</strong>` : html`<code>${id}</code>`);
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
    <p>Each gets its lines in the checklist, where the app's role there is checked; once the role is there, the site
      form lists the subscription by its name. The one-step grant above names those it grants in.</p>
    <${ErrorBanner} error=${form.errors.general} title="Not changed" />
    ${named.length ? html`<ul aria-label="Subscriptions named">${named.map((id) => html`<li key=${id}>${nameOf(id)}
      ${editable && html` <${ActionButton} kind="subtle" label=${`Remove the subscription ${listed[id.toLowerCase()] || id}`} onClick=${() => save(named.filter((other) => other !== id))}
        busyLabel="Removing…">Remove</${ActionButton}>`}</li>`)}</ul>` : html`<p class="muted">None named yet.</p>`}
    ${editable && html`<details><summary>Or name one by its id, where no one can sign in here</summary>
      <form onSubmit=${(event) => { event.preventDefault(); add(); }} aria-label="Name a subscription">
      <${Field} form=${form} name="subscriptionId" label="Subscription id" required placeholder="00000000-0000-0000-0000-000000000000"
        hint="As the customer's admin gives it (Azure portal, Subscriptions): the app cannot see the customer's subscriptions before it holds a role there." />
      <${ActionButton} type="submit" onClick=${add} busyLabel="Adding…">Add subscription</${ActionButton}>
    </form></details>`}
  </section>`;
}

const SUBSCRIPTION_COLUMNS = [
  { label: 'Subscription', render: (s) => html`<strong>${s.displayName}</strong><br /><span class="muted">${s.state}</span>` },
];

// what the last grant did, said above the checklist until the admin leaves the page (the grant section goes once ready)
const grantOutcome = signal(null);

function Granted({ outcome }) {
  return html`<${Notice} kind="success">Granted with ${outcome.name}'s sign-in, which the portal has now forgotten: ${outcome.said.join('; ')}.</${Notice}>`;
}

// The customer's Azure administrator signs in once, here, and the app grants itself what the checklist asks with that
// sign-in: their token stays in this page's memory (auth.js) and is forgotten once the grant is done.
function GrantInOneStep({ tenantId, report }) {
  const tenant = useResource(tenantList).data?.find((one) => one.id === tenantId);
  const signedIn = adminGrantFor(tenantId);
  const [seen, setSeen] = useState(null);
  const [failure, setFailure] = useState(null);
  const chosen = useMemo(() => signal(new Set()), [tenantId]);
  const token = signedIn?.token;
  useEffect(() => {
    if (!token) return;
    adminSubscriptions(tenantId, token).then((found) => {
      setSeen(found);
      chosen.value = new Set(found.filter((s) => s.canGrant).map((s) => s.subscriptionId));
    }, setFailure);
  }, [tenantId, token]);
  if (!can('grantAzureAccess', tenantId) || !tenant) return null;
  const grantable = (seen || []).filter((s) => s.canGrant);
  const others = (seen || []).filter((s) => !s.canGrant);
  const grant = async () => {
    setFailure(null);
    try {
      const answer = await grantAzureAccess(tenant, token, [...chosen.value]);
      const names = Object.fromEntries((seen || []).map((s) => [`/subscriptions/${s.subscriptionId}`.toLowerCase(), s.displayName]));
      const where = (scope) => names[scope.toLowerCase()] || scope.split('/').pop();
      forgetAdminGrant();
      const said = answer.granted.map((g) => `${g.role} ${g.outcome === 'granted' ? 'given to' : 'already held by'} ${g.principalName} on ${where(g.scope)}`);
      grantOutcome.value = { tenantId, name: signedIn.name, said };
    } catch (error) {
      setFailure(error);
    }
  };
  const signIn = html`<${ActionButton} kind=${signedIn ? 'secondary' : 'primary'} onClick=${() => adminSignIn(tenantId, report.entraTenantId)}
    busyLabel="Opening the sign-in…">${signedIn ? 'Sign in as someone else' : "Sign in as the customer's Azure administrator"}</${ActionButton}>`;
  return html`<section class="card" aria-labelledby="grant">
    <h2 id="grant">Grant the Azure roles in one step</h2>
    ${!signedIn && html`<p>The customer's Azure administrator (an Owner or User Access Administrator of the subscriptions)
      signs in here once, and picks the subscriptions: ${backendOf(tenantId) === 'windows365'
        ? 'the app gives Windows 365 the roles the checklist names there'
        : tenant.azureAccess === 'lighthouse'
          ? "the app deploys the Azure Lighthouse delegation there, and the narrow role its registration in the customer's tenant needs to give users their roles, and gives Microsoft's services the roles the checklist names"
          : "the app creates its role there and assigns it, with the condition below, and gives Microsoft's services the roles the checklist names"}.
      Their sign-in is used for that alone, and the portal forgets it then.</p>${signIn}`}
    ${signedIn?.error && html`<${Notice} kind="warning">The administrator's sign-in did not complete: ${signedIn.error}</${Notice}>`}
    <${ErrorBanner} error=${failure} title="Not granted" />
    ${token && html`<p>Signed in as <strong>${signedIn.name}</strong>. ${seen && !seen.length ? 'Their sign-in sees no subscription.' : ''}</p>
      ${seen === null && html`<p class="muted">Reading the subscriptions their sign-in sees…</p>`}
      ${grantable.length > 0 && html`<${DataTable} caption="Subscriptions to grant in" columns=${SUBSCRIPTION_COLUMNS}
        rows=${grantable} rowKey=${(s) => s.subscriptionId} selection=${chosen} rowLabel=${(s) => s.displayName} />
        <${ActionButton} kind="primary" onClick=${grant} disabled=${chosen.value.size === 0} busyLabel="Granting…">Grant the app its roles</${ActionButton}>`}
      ${others.length > 0 && html`<${Notice} kind="warning">${signedIn.name} holds neither Owner nor User Access
        Administrator on ${others.map((s) => s.displayName).join(', ')}, so the app cannot grant there with this sign-in.
        Ask someone who does to sign in here, or to run the commands below, each with its copy button.</${Notice}>`}
      ${signIn}`}
  </section>`;
}

// The customer's Entra administrator signs in once, here, and the app is granted the Graph permissions the checklist
// lists as missing (those admin consent does not give every tenant): their token is forgotten once the grant is done.
function GrantGraphPermissions({ tenantId, report }) {
  const signedIn = adminGrantFor(tenantId, 'entra');
  const [failure, setFailure] = useState(null);
  if (!can('grantGraphPermissions', tenantId)) return null;
  const wanted = report.items.filter((item) => item.kind === 'graphPermission' && item.status === 'missing').map((item) => item.name);
  const grant = async () => {
    setFailure(null);
    try {
      const answer = await grantGraphPermissions(tenantId, signedIn.token);
      forgetAdminGrant();
      const said = answer.granted.map((g) => `${g.permission} ${g.outcome === 'granted' ? 'granted' : 'already held'}`);
      grantOutcome.value = { tenantId, name: signedIn.name, said };
    } catch (error) {
      setFailure(error);
    }
  };
  const token = signedIn?.token;
  const signIn = html`<${ActionButton} kind=${token ? 'secondary' : 'primary'} onClick=${() => adminSignIn(tenantId, report.entraTenantId, 'entra')}
    busyLabel="Opening the sign-in…">${token ? 'Sign in as someone else' : "Sign in as the customer's Entra administrator"}</${ActionButton}>`;
  return html`<section class="card" aria-labelledby="grant-graph">
    <h2 id="grant-graph">Grant the Graph permissions in one step</h2>
    <p>Admin consent gives every tenant the same few permissions; this tenant also uses ${wanted.join(', ')}. An
      administrator of the customer's Entra tenant (a Privileged Role Administrator or Global Administrator) signs in
      here once, and the app is granted these alone. Their sign-in is used for that, and the portal forgets it then.</p>
    ${signedIn?.error && html`<${Notice} kind="warning">The administrator's sign-in did not complete: ${signedIn.error}</${Notice}>`}
    <${ErrorBanner} error=${failure} title="Not granted" />
    ${token && html`<p>Signed in as <strong>${signedIn.name}</strong>.</p>
      <${ActionButton} kind="primary" onClick=${grant} busyLabel="Granting…">Grant the app its Graph permissions</${ActionButton}> `}
    ${signIn}
  </section>`;
}

const ACCESS = {
  consent: ["Its own role in the customer's tenant", "the app acts as its registration in the customer's tenant, with the Cloud PC provisioning role"],
  lighthouse: ['An Azure Lighthouse delegation', "the customer delegates its subscriptions to the app, which then acts as itself, from the provider's tenant, with built-in roles"],
};

// How the app reaches the customer's Azure: a choice of the tenant's, saved at once (Graph's consent is needed either way)
function AccessChoice({ tenant }) {
  const [failure, setFailure] = useState(null);
  const choose = async (azureAccess) => {
    setFailure(null);
    try {
      await setAzureAccess(tenant, azureAccess);
    } catch (error) {
      setFailure(error);
    }
  };
  return html`<fieldset class="radios card">
    <legend>How the app reaches the customer's Azure</legend>
    <${ErrorBanner} error=${failure} title="Not changed" />
    ${Object.entries(ACCESS).map(([value, [label, hint]]) => html`<div class="radio" key=${value}>
      <input type="radio" id=${`azure-access-${value}`} name="azureAccess" value=${value} checked=${(tenant.azureAccess || 'consent') === value}
        disabled=${!can('updateTenant', tenant.id)} aria-describedby=${`azure-access-${value}-hint`} onChange=${() => choose(value)} />
      <label for=${`azure-access-${value}`}>${label}</label>
      <span class="radio-description" id=${`azure-access-${value}-hint`}>${hint[0].toUpperCase()}${hint.slice(1)}.</span>
    </div>`)}
  </fieldset>`;
}

// Under Lighthouse: what the customer's admin deploys once per subscription, for one who deploys it themselves
function DelegationTemplates({ tenantId }) {
  const poll = useResource(delegationTemplate(tenantId));
  const found = poll.data;
  if (!found?.templates?.length) return null;
  return html`<section aria-labelledby="delegation">
    <h2 id="delegation">The Azure Lighthouse delegation</h2>
    <p>Deployed once in each subscription by one of its Owners, it gives the app itself, in the provider's tenant, the
      built-in roles the checklist asks for. The one-step grant above deploys it too.</p>
    ${found.templates.map((one) => {
      const json = JSON.stringify(one.template, null, 2);
      return html`<details key=${one.subscriptionId}><summary>The template for subscription ${one.subscriptionId}</summary>
        <pre class="fix" tabindex="0" aria-label=${`The delegation template for ${one.subscriptionId}`}>${json}</pre>
        <${CopyButton} text=${json} label=${`Copy the delegation template for ${one.subscriptionId}`} />
        <p>Then, with it saved as delegation.json:</p>
        <pre class="fix" tabindex="0" aria-label=${`The command that deploys it in ${one.subscriptionId}`}>${one.command}</pre>
        <${CopyButton} text=${one.command} label=${`Copy the command that deploys it in ${one.subscriptionId}`} />
      </details>`;
    })}
  </section>`;
}

// an ARM scope as a person reads it: the subscription by name once the app can list it, then the group and network
function whereOf(scope, names) {
  const parts = scope.split('/').filter(Boolean);
  const subscription = names[(parts[1] || '').toLowerCase()];
  const words = [subscription ? subscription : `subscription ${parts[1]}`];
  for (let i = 2; i + 1 < parts.length; i += 2) {
    const kind = { resourcegroups: 'resource group', virtualnetworks: 'network' }[parts[i].toLowerCase()];
    if (kind) words.push(`${kind} ${parts[i + 1]}`);
  }
  return html`<span title=${scope}>${words.join(' › ')}</span>`;
}

// what the one-step grant gives: a role in Azure, or the first subscription to hold one
const inAzure = (item) => item.status !== 'present' && (item.kind === 'azureRole' || item.name === 'Azure subscription');
const inGraph = (item) => item.status === 'missing' && item.kind === 'graphPermission';

function Onboarding({ params }) {
  const { tenantId } = params;
  const poll = useResource(onboarding(tenantId));
  const report = poll.data;
  const tenant = useResource(tenantList).data?.find((one) => one.id === tenantId);
  const known = useResource(subscriptions(tenantId)).data;
  const names = Object.fromEntries((known || []).map((one) => [one.subscriptionId.toLowerCase(), one.displayName]));
  const returned = consentOutcome.value?.tenantId === tenantId ? consentOutcome.value : null;
  useEffect(() => () => { consentOutcome.value = null; grantOutcome.value = null; }, []); // said once: gone when the admin leaves
  const grantedHere = grantOutcome.value?.tenantId === tenantId ? grantOutcome.value : null;
  const columns = [
    { label: 'Needed', render: (item) => html`<strong>${item.name}</strong><br /><span class="muted">${KINDS[item.kind]}</span>` },
    { label: 'Where', render: (item) => (item.scope ? whereOf(item.scope, names) : html`<span class="muted">The tenant</span>`) },
    { label: 'Status', render: (item) => html`<${StatusBadge} status=${item.status} />` },
    { label: 'Why the app needs it', render: (item) => item.reason },
    { label: 'Fix', render: fixOf },
  ];
  const missing = report ? report.items.filter((item) => item.fix).length : 0; // missing, or not there to check
  const noConsent = report?.items.some((item) => item.kind === 'consent' && item.status === 'missing');
  return html`<${Page} title="Onboarding" subtitle="What the app needs in this customer's tenant, as the app itself finds it there." actions=${html`<${AsOf} poll=${poll} />`}>
    ${returned && html`<${Notice} kind=${returned.granted ? 'success' : 'warning'}>${returned.message}</${Notice}>`}
    ${grantedHere && html`<${Granted} outcome=${grantedHere} />`}
    <${ErrorBanner} error=${poll.error} />
    ${report && (report.ready
      ? html`<${Notice}>Ready: the app can do everything it does in this tenant. Next: <a href=${href('/tenants/:tenantId/sites', { tenantId })}>its sites</a>.</${Notice}>`
      : html`<${Notice} kind="warning">${missing} ${missing === 1 ? 'item needs' : 'items need'} the customer's admin.${noConsent && report.adminConsentUrl
        ? html` Their admin consents in one step at <a href=${report.adminConsentUrl}>the admin consent page</a>, and come back here.` : null}</${Notice}>`)}
    ${report?.entraTenantId && tenant && backendOf(tenantId) !== 'windows365' && html`<${AccessChoice} tenant=${tenant} />`}
    ${report && !noConsent && report.items.some(inGraph) && html`<${GrantGraphPermissions} tenantId=${tenantId} report=${report} />`}
    ${report && !report.ready && !noConsent && report.items.some(inAzure) && html`<${GrantInOneStep} tenantId=${tenantId} report=${report} />`}
    <${DataTable} caption="Checklist" columns=${columns} rows=${report?.items} rowKey=${(item) => `${item.kind}/${item.name}/${item.scope || ''}`} />
    ${report?.entraTenantId && html`<${Subscriptions} tenantId=${tenantId} />`}
    ${report?.refusedWork?.length > 0 && html`<${DataTable} caption="Work refused for want of a permission"
      columns=${REFUSED_COLUMNS} rows=${report.refusedWork} rowKey=${(item) => item.work} />`}
    ${tenant?.azureAccess === 'lighthouse' && html`<${DelegationTemplates} tenantId=${tenantId} />`}
    ${report?.customRoleCommand && html`<section aria-labelledby="custom-role">
      <h2 id="custom-role">The ${report.customRole?.Name} role</h2>
      <p>Exactly the Azure actions the app uses, as one custom role: the customer's admin creates it once, then assigns it
        where the checklist says (at the subscription, it covers every resource group in it).</p>
      <pre class="fix" tabindex="0" aria-label="The command that creates the role">${report.customRoleCommand}</pre>
      <${CopyButton} text=${report.customRoleCommand} label="Copy the command that creates the role" />
      <p>Assign it with this condition, so that the app can give only the roles it gives (the two VM sign-in roles and
        Desktop Virtualization User):</p>
      <pre class="fix" tabindex="0" aria-label="The condition to assign the role with">${report.customRoleCondition}</pre>
      <${CopyButton} text=${report.customRoleCondition} label="Copy the condition" />
      <${DataTable} caption="Or built-in roles, which grant more" columns=${ALTERNATIVE_COLUMNS}
        rows=${report.builtInAlternatives} rowKey=${(role) => role.roleDefinitionId} />
    </section>`}
  </${Page}>`;
}

page('/tenants/:tenantId/onboarding', Onboarding);
