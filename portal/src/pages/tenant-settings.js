// A tenant's settings: the reclaim rule for unused Cloud PCs, with what it would take now before it is saved.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { can } from '../access.js';
import { page } from '../router.js';
import { ActionButton, ErrorBanner, Field, Notice, Page, useForm } from '../ui.js';
import { errorsByField } from '../lib/errors.js';
import { span } from '../lib/format.js';
import { RULE_FIELDS, atRuleFields, draftOf, previewSentence, ruleBody, ruleSentence } from '../lib/reclaim.js';
import { useResource } from '../models/resource.js';
import { previewReclaim, setReclaimRule, tenantOf } from '../models/tenants.js';
import { RECLAIM_RANGES } from '../vocabulary.js';

const NO_PROBLEM = { fields: {}, general: [] };
const PREVIEW_PAUSE_MS = 400; // one preview when typing pauses, not one per key

/** The preview of the days in the form, asked again once they stop changing; a refusal is the days' fields' to show. */
function usePreview(tenantId, values) {
  const [preview, setPreview] = useState(null);
  const [problem, setProblem] = useState(NO_PROBLEM);
  const { unusedDays, noticeDays } = values;
  useEffect(() => {
    let stale = false;
    const timer = setTimeout(async () => {
      try {
        // the days as typed, an emptied one too: the server checks them as it checks a save's
        const answer = await previewReclaim(tenantId, { unusedDays, noticeDays });
        if (stale) return;
        setPreview(answer);
        setProblem(NO_PROBLEM);
      } catch (failure) {
        if (stale) return;
        setPreview(null);
        setProblem(failure.status === 400 ? errorsByField(atRuleFields(failure), RULE_FIELDS) : { fields: {}, general: [failure.message] });
      }
    }, PREVIEW_PAUSE_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [tenantId, unusedDays, noticeDays]);
  return { preview, problem };
}

/** `mayEdit`: an administrator's; a reader sees the rule and what it would take, with nothing to change. */
function ReclaimRule({ tenant, mayEdit, onNotice }) {
  const form = useForm(draftOf(tenant.reclaim), RULE_FIELDS);
  const { preview, problem } = usePreview(tenant.id, form.values);
  // the save's messages stand until a field they name changes; the preview checks the days as they are typed
  const view = {
    ...form,
    set: (name, value) => {
      if (form.errors.fields[name]) form.clear();
      form.set(name, value);
    },
    errors: { fields: { ...problem.fields, ...form.errors.fields }, general: form.errors.general },
  };
  const save = async () => {
    form.clear();
    try {
      await setReclaimRule(tenant, ruleBody(form.values));
      onNotice({ kind: 'success', text: form.values.enabled ? 'The reclaim rule is saved and on: it runs every hour.' : 'The reclaim rule is saved, off.' });
    } catch (error) {
      if (error.status === 412) {
        onNotice({ kind: 'warning', text: 'Someone changed this tenant since the page read it: the page now shows their rule. Make your change again and save.' });
        return;
      }
      form.fail(atRuleFields(error));
    }
  };
  const { enabled, emailUser } = form.values;
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); if (mayEdit) save(); }} aria-labelledby="reclaim-heading">
    <h2 id="reclaim-heading">Reclaim unused Cloud PCs</h2>
    <p class="muted">Takes back the Cloud PCs nobody connects to, so that their licenses go to the users waiting for one.</p>
    <${Field} form=${view} name="enabled" disabled=${!mayEdit} label="Reclaim Cloud PCs nobody uses" type="checkbox" />
    <div class="inline-fields">
      <${Field} form=${view} name="unusedDays" disabled=${!mayEdit} label="Days unused before it is announced" type="number" required
        hint=${`${span(RECLAIM_RANGES.unusedDays)}: counted from the last connection, or from provisioning for one never connected to.`} />
      <${Field} form=${view} name="noticeDays" disabled=${!mayEdit} label="Days from the announcement to its grace period" type="number" required
        hint=${`${span(RECLAIM_RANGES.noticeDays)}: the time its user has to connect and keep it.`} />
    </div>
    <${Field} form=${view} name="emailUser" disabled=${!mayEdit} label="E-mail the user when their Cloud PC is announced" type="checkbox"
      hint="Sent through Microsoft Graph: the tenant's onboarding then asks the customer's admin for Mail.Send." />
    ${emailUser && html`<${Field} form=${view} name="mailbox" disabled=${!mayEdit} label="Sender mailbox" type="email" required placeholder="it@contoso.com"
      hint="A user or shared mailbox of the customer's tenant that the e-mail is sent from." />`}
    <p>${ruleSentence(form.values)}</p>
    <div class="banner info" role="status" aria-live="polite">
      ${preview ? previewSentence(preview, enabled) : problem.general.length ? `Not counted: ${problem.general.join(' ')}`
        : Object.keys(problem.fields).length ? 'Not counted: the days above are refused.' : 'Counting what the rule would take now…'}
    </div>
    <${ErrorBanner} error=${form.errors.general} title="Not saved" />
    ${mayEdit && html`<div class="wizard-actions">
      <${ActionButton} type="submit" kind="primary" onClick=${save} busyLabel="Saving…">Save the rule</${ActionButton}>
    </div>`}
  </form>`;
}

function TenantSettings({ params }) {
  const { tenantId } = params;
  const read = useResource(tenantOf(tenantId));
  const [notice, setNotice] = useState(null);
  const tenant = read.data;
  return html`<${Page} title="Tenant settings" subtitle=${tenant ? `Rules for all of ${tenant.displayName}'s Cloud PCs.` : undefined}>
    ${notice && html`<${Notice} kind=${notice.kind}>${notice.text}</${Notice}>`}
    <${ErrorBanner} error=${read.error} title="The tenant could not be read" />
    ${tenant ? html`<${ReclaimRule} key=${tenant.etag} tenant=${tenant} mayEdit=${can('updateTenant', tenantId)} onNotice=${setNotice} />`
      : !read.error && html`<p class="muted">Loading…</p>`}
  </${Page}>`;
}

page('/tenants/:tenantId/settings', TenantSettings, { needs: 'getTenant', doing: "see the tenant's settings" });
