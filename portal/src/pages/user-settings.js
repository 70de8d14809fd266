// Windows 365 user settings (windows365 tenants): what the users of the assigned groups may do on their Cloud PCs.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { GroupPicker } from '../groups.js';
import { page } from '../router.js';
import { ActionButton, AsOf, DataTable, ErrorBanner, Field, Notice, Page, confirm, useForm } from '../ui.js';
import { dateTime } from '../lib/format.js';
import { useResource } from '../models/resource.js';
import { addUserSetting, assignUserSetting, deleteUserSetting, userSettings } from '../models/user-settings.js';

// Graph's cloudPcRestorePointFrequencyType, in the words an admin chooses by
const FREQUENCIES = [
  { value: 'default', label: 'Every 12 hours (Windows 365 default)' },
  { value: 'fourHours', label: 'Every 4 hours' },
  { value: 'sixHours', label: 'Every 6 hours' },
  { value: 'twelveHours', label: 'Every 12 hours' },
  { value: 'sixteenHours', label: 'Every 16 hours' },
  { value: 'twentyFourHours', label: 'Every 24 hours' },
];
const frequencyLabel = (value) => FREQUENCIES.find((option) => option.value === value)?.label || value;
const FIELDS = ['displayName', 'localAdminEnabled', 'resetEnabled', 'restorePointSetting.frequencyType',
  'restorePointSetting.userRestoreEnabled'];

function AddSetting({ tenantId, onAdded }) {
  const form = useForm({ displayName: '', localAdminEnabled: false, resetEnabled: false,
    'restorePointSetting.frequencyType': 'default', 'restorePointSetting.userRestoreEnabled': false }, FIELDS);
  const submit = async () => {
    form.clear();
    const values = form.values;
    try {
      const added = await addUserSetting(tenantId, {
        displayName: values.displayName,
        localAdminEnabled: values.localAdminEnabled,
        resetEnabled: values.resetEnabled,
        restorePointSetting: {
          frequencyType: values['restorePointSetting.frequencyType'],
          userRestoreEnabled: values['restorePointSetting.userRestoreEnabled'],
        },
      });
      form.setValues({ ...values, displayName: '' });
      onAdded(added);
    } catch (error) {
      form.fail(error);
    }
  };
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); submit(); }} aria-labelledby="add-setting">
    <h2 id="add-setting">Add a user setting</h2>
    <p class="muted">Made in Windows 365 at once; it applies to the Cloud PCs of the groups you then assign it to.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="displayName" label="Name" required />
    <${Field} form=${form} name="localAdminEnabled" label="Users are local administrators of their Cloud PCs" type="checkbox" />
    <${Field} form=${form} name="resetEnabled" label="Users may reset their Cloud PCs" type="checkbox" />
    <${Field} form=${form} name="restorePointSetting.frequencyType" label="Restore points" type="select" options=${FREQUENCIES}
      hint="How often Windows 365 takes a restore point of each Cloud PC." />
    <${Field} form=${form} name="restorePointSetting.userRestoreEnabled" label="Users may restore their Cloud PCs to a restore point" type="checkbox" />
    <${ActionButton} type="submit" kind="primary" onClick=${submit} busyLabel="Adding…">Add user setting</${ActionButton}>
  </form>`;
}

function Assign({ tenantId, setting, onDone, onCancel }) {
  const [groups, setGroups] = useState(setting.assignments.map((a) => ({ id: a.groupId })));
  const [error, setError] = useState(null);
  const save = async () => {
    setError(null);
    try {
      await assignUserSetting(tenantId, setting.id, groups);
      onDone(`${setting.displayName} now applies to ${groups.length} group${groups.length === 1 ? '' : 's'}.`);
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<section class="card wide" aria-labelledby="assign-setting">
    <h2 id="assign-setting">Assign ${setting.displayName}</h2>
    <${ErrorBanner} error=${error} title="Not assigned" />
    <${GroupPicker} tenantId=${tenantId} value=${groups} onChange=${setGroups} label="Groups it applies to"
      hint="Find a group by the start of its name, or paste its object id." />
    <div class="wizard-actions">
      <${ActionButton} kind="primary" onClick=${save} busyLabel="Saving…">Save the assignment</${ActionButton}>
      <button type="button" class="button secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </section>`;
}

function UserSettings({ params }) {
  const { tenantId } = params;
  const poll = useResource(userSettings(tenantId));
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const [assigning, setAssigning] = useState(null);
  const done = (text) => {
    setMessage(text);
    setAssigning(null);
  };
  const remove = async (setting) => {
    if (!(await confirm(`Delete the user setting ${setting.displayName} from Windows 365?`, { title: 'Delete user setting?', confirmLabel: 'Delete' }))) return;
    setError(null);
    try {
      await deleteUserSetting(tenantId, setting.id);
      done(`Deleted ${setting.displayName}.`);
    } catch (failure) {
      setError(failure.status === 409 && failure.code === 'userSettingAssigned'
        ? [failure.message, 'Assign it to no group first, then delete it.'] : failure);
    }
  };
  const yesNo = (value) => (value ? 'Yes' : 'No');
  const columns = [
    { label: 'Name', key: 'displayName' },
    { label: 'Local administrator', render: (setting) => yesNo(setting.localAdminEnabled) },
    { label: 'Reset', render: (setting) => yesNo(setting.resetEnabled) },
    { label: 'Restore points', render: (setting) => html`${frequencyLabel(setting.restorePointSetting.frequencyType)}
      <div class="detail muted">${setting.restorePointSetting.userRestoreEnabled ? 'Users may restore' : 'Only admins restore'}</div>` },
    { label: 'Assigned groups', class: 'number', render: (setting) => setting.assignments.length },
    { label: 'Modified', render: (setting) => dateTime(setting.lastModifiedDateTime) },
    ...(can('assignUserSetting', tenantId) ? [{ label: 'Actions', render: (setting) => html`
      <button type="button" class="button subtle" aria-label=${`Assign ${setting.displayName}`} onClick=${() => setAssigning(setting)}>Assign</button>
      <${ActionButton} kind="subtle" label=${`Delete ${setting.displayName}`} onClick=${() => remove(setting)} busyLabel="Deleting…">Delete</${ActionButton}>` }] : []),
  ];
  return html`<${Page} title="User settings" subtitle="Windows 365's settings for the users of its Cloud PCs: local administrator, reset and restore points." actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} />
    <${ErrorBanner} error=${error} title="Not deleted" />
    ${message && html`<${Notice} kind="success">${message}</${Notice}>`}
    <${DataTable} caption="User settings" columns=${columns} rows=${poll.data} empty="No user settings yet: Windows 365's defaults apply (no local administrator, no reset, restore points every 12 hours)." />
    ${assigning && html`<${Assign} key=${assigning.id} tenantId=${tenantId} setting=${assigning} onDone=${done} onCancel=${() => setAssigning(null)} />`}
    ${can('createUserSetting', tenantId) && html`<${AddSetting} tenantId=${tenantId} onAdded=${(setting) => done(`Added ${setting.displayName}: assign it to the groups it is for.`)} />`}
  </${Page}>`;
}

page('/tenants/:tenantId/userSettings', UserSettings, { needs: 'listUserSettings', doing: 'see and change user settings' });
