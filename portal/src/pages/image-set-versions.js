// An image set's versions: the table with capture and delete, and the form that adds a version with its scripts.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { href } from '../router.js';
import { ActionButton, DataTable, ErrorBanner, Failure, Field, Notice, StatusBadge, confirm, useForm } from '../ui.js';
import { readyVersions, versionBody, versionDeleteBlock } from '../lib/spot-pc.js';
import { dateTime } from '../lib/format.js';
import { addVersion, captureVersion, deleteVersion } from '../models/image-sets.js';

const MAX_SCRIPTS = 10;
let rows = 0;

/** Why the server refused (409), in the admin's terms, with where to go next. */
export function Refusal({ error, tenantId, what }) {
  if (!error) return null;
  return html`<div class="banner error" role="alert"><strong>${what}</strong><p>${error.message}</p>
    ${error.code === 'inUse' && html`<p>A Spot Group's session hosts are built from it. Move that group to another version
      (a rolling image update on its page) or delete the group, then try again.${' '}
      <a href=${href('/tenants/:tenantId/spotGroups', { tenantId })}>Go to the Spot Groups</a>.</p>`}
    ${error.code === 'wrongStatus' && html`<p>Azure is still working on it: wait until the build or removal has ended (ready or
      failed) and try again. The table follows it on its own.</p>`}
  </div>`;
}

function StatusCell({ version }) {
  const detail = version.statusDetail;
  return html`<${StatusBadge} status=${version.status} />
    <${Failure} detail=${detail} compact />`;
}

/** The versions, oldest first, with what each can do now. */
export function VersionsTable({ imageSet, versions, tenantId }) {
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const capture = async (version) => {
    const question = `Capture version ${version.version} now? Its build VM is generalized (sysprep), captured into the gallery and `
      + 'deleted: finish your changes on it first; it cannot be signed in to again.';
    if (!(await confirm(question, { title: 'Capture this version?', confirmLabel: 'Capture', destructive: false }))) return;
    setError(null);
    setDone(null);
    try {
      await captureVersion(tenantId, imageSet.id, version.version);
      setDone(`Capture of version ${version.version} requested.`);
    } catch (failure) {
      setError({ failure, what: `Version ${version.version} was not captured` });
    }
  };
  const remove = async (version) => {
    const question = `Delete version ${version.version} of ${imageSet.displayName}? Its gallery image version is removed from every region `
      + 'it was replicated to; Spot Groups and Windows 365 custom images can no longer be made from it.';
    if (!(await confirm(question, { title: 'Delete this version?', confirmLabel: `Delete ${version.version}` }))) return;
    setError(null);
    setDone(null);
    try {
      const answer = await deleteVersion(tenantId, imageSet.id, version.version);
      setDone(answer.status === 202 ? `Deletion of version ${version.version} started: its gallery image goes first, then its record.`
        : `Version ${version.version} deleted.`);
    } catch (failure) {
      setError({ failure, what: `Version ${version.version} was not deleted` });
    }
  };
  const mayCapture = can('captureImageSetVersion', tenantId);
  const mayDelete = can('deleteImageSetVersion', tenantId);
  const columns = [
    { label: 'Version', key: 'version' },
    { label: 'Status', render: (version) => html`<${StatusCell} version=${version} />` },
    { label: 'Notes', render: (version) => version.notes || '—' },
    { label: 'Built from', render: (version) => (version.baseVersion ? `Version ${version.baseVersion}` : 'The marketplace image') },
    { label: 'Regions', render: (version) => (version.regions || []).join(', ') || '—' },
    { label: 'Scripts', render: (version) => (version.customizationScripts?.length ? version.customizationScripts.map((script) => script.name).join(', ') : 'None') },
    { label: 'Created', render: (version) => dateTime(version.createdDateTime) },
    (mayCapture || mayDelete) && {
      label: 'Actions',
      render: (version) => {
        const block = versionDeleteBlock(version, imageSet);
        return html`<div class="row-actions">${mayCapture && version.status === 'awaitingCustomization' && html`<${ActionButton} kind="primary" busyLabel="Capturing…"
            label=${`Capture version ${version.version}`} onClick=${() => capture(version)}>Capture</${ActionButton}>`}
          ${mayDelete && (block ? html`<span class="detail muted">${block}</span>` : html`<${ActionButton} kind="secondary" busyLabel="Deleting…"
            label=${`Delete version ${version.version}`} onClick=${() => remove(version)}>Delete</${ActionButton}>`)}</div>`;
      },
    },
  ].filter(Boolean);
  const waiting = (versions || []).filter((version) => version.status === 'awaitingCustomization');
  return html`<section class="card wide" aria-labelledby="versions-heading">
    <h2 id="versions-heading">Versions</h2>
    ${waiting.map((version) => html`<div class="banner warning" key=${version.version}><strong>Version ${version.version} waits for you.</strong>
      <p>It has no scripts, so its build VM is up for you to customize: sign in to it, install and configure what the image needs,
        then choose Capture. Nobody capturing within 7 days fails the version and removes its VM.</p></div>`)}
    ${done && html`<${Notice} kind="success">${done}</${Notice}>`}
    <${Refusal} error=${error?.failure} tenantId=${tenantId} what=${error?.what} />
    <${DataTable} caption="Versions, oldest first" columns=${columns} rows=${versions} rowKey=${(version) => version.version} />
    <p class="hint">The latest version is kept (a new number is always one up from it): to remove it, add a newer one first, or delete the whole set.
      A version being built or removed waits until it ends.</p>
  </section>`;
}

function ScriptRow({ form, index, row, update, remove }) {
  const names = { name: `customizationScripts.${index}.name`, script: `customizationScripts.${index}.script` };
  // the row's own view of the form, so each Field finds its value and the server's message by its indexed name
  const rowForm = {
    values: { [names.name]: row.name, [names.script]: row.script },
    errors: form.errors,
    set: (name, value) => update(name === names.name ? 'name' : 'script', value),
  };
  return html`<fieldset class="script-row">
    <legend>Script ${index + 1}</legend>
    <${Field} form=${rowForm} name=${names.name} label="Name" required hint="Letters, digits, spaces, dots, hyphens and underscores." />
    <${Field} form=${rowForm} name=${names.script} label="PowerShell" type="textarea" rows="6" required
      placeholder="winget install --id 7zip.7zip --silent" />
    <button type="button" class="button subtle" onClick=${remove}>Remove script ${index + 1}</button>
  </fieldset>`;
}

/** Adds the set's next version: a base (the newest ready by default), notes and scripts run in turn. */
export function AddVersion({ versions, tenantId, imageSetId, onAdded }) {
  // a fresh form after each version added: its textareas start empty again
  const [formKey, setFormKey] = useState(0);
  return html`<${AddVersionForm} key=${formKey} ready=${readyVersions(versions)} tenantId=${tenantId} imageSetId=${imageSetId}
    onAdded=${(version) => { setFormKey(formKey + 1); onAdded(version); }} />`;
}

function AddVersionForm({ ready, tenantId, imageSetId, onAdded }) {
  const fieldNames = ['baseVersion', 'notes', 'customizationScripts'];
  for (let index = 0; index < MAX_SCRIPTS; index += 1) fieldNames.push(`customizationScripts.${index}.name`, `customizationScripts.${index}.script`);
  const form = useForm({ baseVersion: '', notes: '', customizationScripts: [] }, fieldNames);
  const list = form.values.customizationScripts;
  const setList = (next) => form.set('customizationScripts', next);
  const submit = async () => {
    form.clear();
    try {
      onAdded(await addVersion(tenantId, imageSetId, versionBody(form.values)));
    } catch (error) {
      form.fail(error);
    }
  };
  const add = () => setList([...list, { key: ++rows, name: '', script: '' }]);
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); submit(); }} aria-labelledby="add-version-heading">
    <h2 id="add-version-heading">Add a version</h2>
    <p class="muted">The next version number is one patch up from the latest. Its build VM starts from the base version's image.</p>
    <${ErrorBanner} error=${form.errors.general} />
    ${ready.length === 0 && html`<${Notice} kind="warning">No version is ready yet to build on: wait for one, or fix the failed one.</${Notice}>`}
    <${Field} form=${form} name="baseVersion" label="Base version" type="select"
      options=${[{ value: '', label: ready.length ? `The newest ready version (${ready[0].version})` : 'The newest ready version' },
        ...ready.map((version) => ({ value: version.version, label: `Version ${version.version}${version.notes ? `: ${version.notes}` : ''}` }))]} />
    <${Field} form=${form} name="notes" label="Notes" type="textarea" rows="2" hint="What this version changes, and why." />
    <h3>Customization scripts</h3>
    <p class="hint">${list.length ? 'They run in turn on the build VM by Run Command; then the VM is captured on its own.'
      : 'None: the build VM waits for you to customize it by hand and choose Capture.'}</p>
    <${ErrorBanner} error=${form.errors.fields.customizationScripts} />
    ${list.map((row, index) => html`<${ScriptRow} key=${row.key} form=${form} index=${index} row=${row}
      update=${(name, value) => setList(list.map((other, at) => (at === index ? { ...other, [name]: value } : other)))}
      remove=${() => setList(list.filter((_, at) => at !== index))} />`)}
    <p>${list.length < MAX_SCRIPTS ? html`<button type="button" class="button secondary" onClick=${add}>Add a script</button>`
      : html`<span class="muted">At most ${MAX_SCRIPTS} scripts.</span>`}</p>
    <${ActionButton} type="submit" kind="primary" onClick=${submit} busyLabel="Adding…">Add version</${ActionButton}>
  </form>`;
}
