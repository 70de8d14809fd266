// A customer tenant's onboarding checklist: admin consent, Graph permissions and Azure roles, each with its fix.
import { html } from 'htm/preact';
import { get, tenantPath } from '../api.js';
import { page } from '../router.js';
import { AsOf, DataTable, ErrorBanner, Notice, Page, StatusBadge, usePoll } from '../ui.js';

const KINDS = { link: 'Link', consent: 'Consent', graphPermission: 'Microsoft Graph permission', azureRole: 'Azure role' };

function Onboarding({ params }) {
  const { tenantId } = params;
  const poll = usePoll(() => get(tenantPath(tenantId, 'onboarding')), [tenantId], { idleMs: 60_000 });
  const report = poll.data;
  const columns = [
    { label: 'Needed', render: (item) => html`<strong>${item.name}</strong><br /><span class="muted">${KINDS[item.kind]}</span>` },
    { label: 'Where', render: (item) => (item.scope ? html`<code>${item.scope}</code>` : html`<span class="muted">The tenant</span>`) },
    { label: 'Status', render: (item) => html`<${StatusBadge} status=${item.status} />` },
    { label: 'Why the app needs it', render: (item) => item.reason },
    { label: 'Fix', render: (item) => (item.fix ? html`<code class="fix">${item.fix}</code>` : html`<span class="muted">—</span>`) },
  ];
  const missing = report ? report.items.filter((item) => item.status === 'missing').length : 0;
  const noConsent = report?.items.some((item) => item.kind === 'consent' && item.status === 'missing');
  return html`<${Page} title="Onboarding" subtitle="What the app needs in this customer's tenant, as the app itself finds it there." actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} />
    ${report && (report.ready
      ? html`<${Notice}>Ready: the app can do everything it does in this tenant.</${Notice}>`
      : html`<${Notice} kind="warning">${missing} ${missing === 1 ? 'item needs' : 'items need'} the customer's admin.${noConsent && report.adminConsentUrl
        ? html` Their admin consents in one step at <a href=${report.adminConsentUrl} rel="noopener noreferrer" target="_blank">the admin consent page</a>.` : null}</${Notice}>`)}
    <${DataTable} caption="Checklist" columns=${columns} rows=${report?.items} rowKey=${(item) => `${item.kind}/${item.name}/${item.scope || ''}`} />
  </${Page}>`;
}

page('/tenants/:tenantId/onboarding', Onboarding);
