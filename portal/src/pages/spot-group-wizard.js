// The Spot Group wizard: basics, placement and image, access, then the server's review (validateOnly) and create.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { GroupPicker } from '../groups.js';
import { PickOrType } from '../pick-list.js';
import { go, href } from '../router.js';
import { ActionButton, Details, ErrorBanner, Field, Notice, Page } from '../ui.js';
import { RadioGroup, WizardFrame, useWizard } from '../wizard-ui.js';
import { DEFAULT_SESSIONS, DEFAULT_VM_SIZES, hostCount, imageLabel, imageMismatch, readyVersions, spotGroupBody, versionsUnderWay, vmSizeLabel } from '../lib/spot-pc.js';
import { POLICY_FIELDS, personalPowerText, policyValues, sessionLimitsText } from '../lib/session-policies.js';
import { fail, isLast, next, setValues } from '../lib/wizard.js';
import { plural, span } from '../lib/format.js';
import { SPOT_GROUP_RANGES } from '../vocabulary.js';
import { imageSetList, marketplaceImages, versions as versionsOf } from '../models/image-sets.js';
import { useResource } from '../models/resource.js';
import { siteList, vmSizes } from '../models/sites.js';
import { checkSpotGroup, createSpotGroup } from '../models/spot-groups.js';
import { PersonalPowerFields, SessionLimitFields } from './spot-group-policies.js';
import { SCALING_FIELDS, scalingText, scalingValues } from '../lib/scaling.js';
import { ScalingFields } from './spot-group-scaling.js';

const STEPS = [
  {
    id: 'basics',
    title: 'Basics',
    fields: ['name', 'friendlyName', 'description', 'notes', 'userType', 'licenseCount', 'maxSessionsPerHost', ...SCALING_FIELDS],
    required: ['name', 'friendlyName', 'userType', 'licenseCount'],
  },
  { id: 'placement', title: 'Placement and image', fields: ['siteId', 'imageSetId', 'imageVersion', 'vmSize'], required: ['siteId', 'imageSetId', 'imageVersion'] },
  { id: 'access', title: 'Access', fields: ['groupIds', 'profilePath', ...POLICY_FIELDS], required: ['groupIds', 'profilePath'] },
  { id: 'review', title: 'Review + create', fields: [] },
];

const INITIAL = {
  name: '', friendlyName: '', description: '', notes: '', userType: 'pooled', licenseCount: '', vmSize: '', maxSessionsPerHost: '',
  siteId: '', imageSetId: '', imageVersion: '', groupIds: [], profilePath: '', ...policyValues(), ...scalingValues(null),
};

function BasicsStep({ form }) {
  const { userType, licenseCount, maxSessionsPerHost } = form.values;
  const hosts = hostCount(userType, licenseCount, maxSessionsPerHost);
  return html`<${Field} form=${form} name="name" label="Name" required placeholder="finance-desktops"
      hint="3-24 lowercase letters, digits and hyphens. The host pool is named spotpc-<name>; it cannot change later." />
    <${Field} form=${form} name="friendlyName" label="Friendly name" required hint="What users see in their Remote Desktop client." />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows="2" />
    <${Field} form=${form} name="notes" label="Notes" type="textarea" rows="2" hint="Why this group, for whoever reads it next." />
    <${RadioGroup} form=${form} name="userType" legend="User type" options=${[
      { value: 'pooled', label: 'Pooled', description: 'Users share session hosts; hosts start as users need them and idle ones are deallocated. Needs a multi-session image.' },
      { value: 'personal', label: 'Personal', description: 'One session host per user, assigned at first sign-in.' },
    ]} />
    <${Field} form=${form} name="licenseCount" label="License count" type="number" required
      hint="How many users get access: the first members of the groups, in order." />
    ${userType === 'pooled' && html`<${Field} form=${form} name="maxSessionsPerHost" label="Maximum sessions per host" type="number"
      placeholder=${String(DEFAULT_SESSIONS)} hint=${`Optional: ${span(SPOT_GROUP_RANGES.maxSessionsPerHost)}. Empty: ${DEFAULT_SESSIONS}. The next host starts once the running ones are full.`} />`}
    ${hosts > 0 && html`<p class="muted">${plural(hosts, 'session host')} for ${plural(Number(licenseCount), 'license')}.</p>`}
    ${userType === 'pooled' && html`<${ScalingFields} form=${form} bound=${hosts} />`}`;
}

function PlacementStep({ form, sites, sets, images, versions, tenantId }) {
  if (!sites || !sets) return html`<p class="muted">Loading…</p>`;
  if (!sites.length) return html`<${Notice} kind="warning">Add a <a href=${href('/tenants/:tenantId/sites', { tenantId })}>site</a> first: session hosts live in a site.</${Notice}>`;
  if (!sets.length) return html`<${Notice} kind="warning">Create an <a href=${href('/tenants/:tenantId/imageSets', { tenantId })}>image set</a> first: session hosts are built from one of its ready versions.</${Notice}>`;
  const site = sites.find((entry) => entry.id === form.values.siteId);
  const imageOf = (set) => images?.find((image) => image.id === set.sourceImageId);
  const set = sets.find((entry) => entry.id === form.values.imageSetId);
  const mismatch = set && imageMismatch(form.values.userType, imageOf(set));
  const usable = versions && site ? readyVersions(versions, site.regionName) : [];
  return html`<${Field} form=${form} name="siteId" label="Site" type="select" required
      options=${sites.map((entry) => ({ value: entry.id, label: `${entry.displayName} (${entry.regionName})` }))}
      hint="Where the host pool and its session hosts go: the site's subscription, resource group, region and network." />
    <${Field} form=${form} name="imageSetId" label="Image set" type="select" required
      options=${sets.map((entry) => ({ value: entry.id, label: `${entry.displayName}: ${imageLabel(imageOf(entry)) || entry.sourceImageId}` }))}
      hint="A pooled group needs a multi-session image; a personal group can use either." />
    ${mismatch && html`<${Notice} kind="warning">${mismatch} Choose a multi-session image set, or make the group personal.</${Notice}>`}
    ${!versions ? html`<p class="muted">Loading versions…</p>` : html`<${Field} form=${form} name="imageVersion" label="Image version" type="select" required
      options=${usable.length ? usable.map((version) => ({ value: version.version, label: `${version.version}${version.notes ? `: ${version.notes}` : ''}` }))
        : [{ value: '', label: 'No ready version here', disabled: true }]}
      hint=${`Ready versions replicated to ${site?.regionName || 'the site\'s region'}, newest first.`} />`}
    ${versions && !usable.length && html`<${Notice} kind="warning">No version of this set is ready in ${site?.regionName}.
      ${versionsUnderWay(versions) ? ' One is being built: this list follows it.' : ' Choose a set kept in this site, or a global one.'}</${Notice}>`}
    ${site && html`<${VmSizePicker} form=${form} tenantId=${tenantId} site=${site} />`}`;
}

/** The session hosts' size, from those Azure offers the site that boot the chosen image (or typed by its name). */
function VmSizePicker({ form, tenantId, site }) {
  const { userType, imageSetId, imageVersion } = form.values;
  const fallback = DEFAULT_VM_SIZES[userType];
  return html`<${PickOrType} form=${form} name="vmSize" label="VM size" typedLabel="name"
    list=${vmSizes(tenantId, site.id, imageSetId, imageVersion)} choice=${(size) => ({ value: size.name, label: vmSizeLabel(size) })}
    first=${{ label: `The default for a ${userType} group, ${fallback}` }} placeholder=${fallback}
    hint=${`The sizes Azure offers the site's subscription in ${site.regionName} that boot the chosen image, fewest vCPUs first.`}
    typedHint=${`An Azure VM size, such as ${fallback}.`} />`;
}

function AccessStep({ form, tenantId }) {
  return html`<${GroupPicker} tenantId=${tenantId} value=${form.values.groupIds} onChange=${(groups) => form.set('groupIds', groups)}
      label="Entra groups" error=${form.errors.fields.groupIds}
      hint="Their members get the Desktop Virtualization User role on the group's desktop, up to the license count." />
    <${Field} form=${form} name="profilePath" label="Profile path" required placeholder="\\\\files.contoso.com\\profiles"
      hint="A UNC path, \\\\server\\share or \\\\server\\share\\folder, where FSLogix keeps the users' profile containers." />
    <${SessionLimitFields} form=${form} optional />
    ${form.values.userType === 'personal' && html`<${PersonalPowerFields} form=${form} optional />`}`;
}

const who = (user) => user.displayName || user.id;

function ReviewStep({ review, values, sites, sets }) {
  if (!review) return html`<p class="muted">Checking…</p>`;
  const body = spotGroupBody(values);
  const site = sites?.find((entry) => entry.id === values.siteId);
  const set = sets?.find((entry) => entry.id === values.imageSetId);
  const without = review.usersWithoutAccess;
  return html`<p>Every check passed. Creating the group saves it and starts deploying at once.</p>
    <h3>What will be created</h3>
    <${Details} items=${[
      ['Name', `${values.friendlyName} (${values.name})`],
      ['Host pool', `spotpc-${values.name}: ${review.hostPoolType}`],
      ['Session hosts', `${review.sessionHostCount} × ${review.vmSize}`],
      review.hostPoolType === 'Pooled' && ['Sessions per host', review.maxSessionsPerHost],
      ['Site', site ? `${site.displayName} (${site.regionName})` : values.siteId],
      ['Image', `${set?.displayName || values.imageSetId}, version ${values.imageVersion}`],
      ['Profile path', values.profilePath],
      ['Groups', values.groupIds.map(who).join(', ')],
      ['License count', values.licenseCount],
      ['Session time limits', sessionLimitsText(body.sessionLimits)],
      values.userType === 'personal' && ['Power while users are away', personalPowerText(body.personalPower)],
      review.hostPoolType === 'Pooled' && ['Scaling', scalingText(body.scaling, review.ceiling)],
      review.ceiling !== null && review.ceiling !== undefined && ['Ceiling', plural(review.ceiling, 'host')],
      review.baseHosts !== null && review.baseHosts !== undefined && ['Base hosts', plural(review.baseHosts, 'host')],
    ]} />
    ${body.scaling && html`<p class="muted" id="scaling-figures-note">The replay's figures for these choices (host-hours, disk-hours, sign-ins with no
      free session, hosts created and deleted) come from the sessions a group records as it runs: a group not yet made has none. Once it runs,
      its Edit form tries scaling choices against its last 14 days.</p>`}
    <h3>Who gets access (${review.usersWithAccess.length})</h3>
    ${review.usersWithAccess.length ? html`<ul class="user-list" aria-label="Users who get access">${review.usersWithAccess.map((user) => html`<li key=${user.id}>${who(user)}</li>`)}</ul>`
      : html`<p>Nobody yet: the groups have no members.</p>`}
    ${without.length > 0 && html`<h3>Who does not (${without.length})</h3>
      <${Notice} kind="warning">These members of the groups are over the license count of ${values.licenseCount}: they get no desktop until
        the count is raised (go back to Basics) or others leave the groups.</${Notice}>
      <ul class="user-list" aria-label="Users who do not get access">${without.map((user) => html`<li key=${user.id}>${who(user)}</li>`)}</ul>`}`;
}

export function SpotGroupWizard({ params }) {
  const { tenantId } = params;
  const { wizard, form, update } = useWizard(STEPS, INITIAL);
  const [review, setReview] = useState(null);
  const { siteId, imageSetId, imageVersion } = wizard.values;
  const sites = useResource(siteList(tenantId));
  const listed = useResource(imageSetList(tenantId));
  const sets = useMemo(() => listed.data?.filter((set) => set.status !== 'deleting'), [listed.data]);
  const images = useResource(marketplaceImages(tenantId));
  const versions = useResource(imageSetId ? versionsOf(tenantId, imageSetId) : null);
  // sensible choices made for the admin: the first site, the first set, the newest version usable there
  useEffect(() => {
    if (sites.data?.length && !siteId) update((old) => setValues(old, { siteId: sites.data[0].id }));
  }, [sites.data]);
  useEffect(() => {
    if (sets?.length && !imageSetId) update((old) => setValues(old, { imageSetId: sets[0].id }));
  }, [sets]);
  useEffect(() => {
    const region = sites.data?.find((site) => site.id === siteId)?.regionName;
    const usable = readyVersions(versions.data, region).map((version) => version.version);
    if (versions.data && !usable.includes(imageVersion)) update((old) => setValues(old, { imageVersion: usable[0] || '' }));
  }, [versions.data, siteId]);
  useEffect(() => {
    if (wizard.values.userType === 'personal' && wizard.values.maxSessionsPerHost !== '') update((old) => setValues(old, { maxSessionsPerHost: '' }));
  }, [wizard.values.userType]);
  const step = wizard.steps[wizard.current].id;
  useEffect(() => setReview(null), [wizard.values]);
  useEffect(() => {
    if (step !== 'review' || review) return undefined;
    let stale = false;
    checkSpotGroup(tenantId, spotGroupBody(wizard.values))
      .then((answer) => !stale && setReview(answer))
      .catch((error) => !stale && update((old) => fail(old, error)));
    return () => { stale = true; };
  }, [step, review]);

  // each Next asks the server (validateOnly) and keeps what it says about the steps so far
  const onNext = async (current) => {
    const toReview = isLast(next(current));
    try {
      const answer = await checkSpotGroup(tenantId, spotGroupBody(current.values));
      if (toReview) setReview(answer);
      return next(current);
    } catch (error) {
      if (toReview) return fail(current, error);
      const failed = fail(current, error, { through: current.current });
      return Object.keys(failed.errors.fields).length ? failed : next(current);
    }
  };
  const create = async () => {
    try {
      const created = await createSpotGroup(tenantId, spotGroupBody(wizard.values));
      go('/tenants/:tenantId/spotGroups/:spotGroupId', { tenantId, spotGroupId: created.id }, { created: '1' });
    } catch (error) {
      update((old) => fail(old, error));
    }
  };
  return html`<${Page} title="Create a Spot Group" subtitle="Azure Virtual Desktop session hosts for the members of some Entra groups, from an image set's version.">
    <${ErrorBanner} error=${sites.error || listed.error || images.error} title="The wizard's choices could not be read" />
    <${WizardFrame} wizard=${wizard} update=${update} label="the Spot Group wizard" onNext=${onNext}
      finish=${html`<${ActionButton} kind="primary" onClick=${create} busyLabel="Creating…" disabled=${!review}>Create Spot Group</${ActionButton}>`}>
      ${step === 'basics' && html`<${BasicsStep} form=${form} />`}
      ${step === 'placement' && html`<${PlacementStep} form=${form} sites=${sites.data} sets=${sets} images=${images.data}
        versions=${versions.data} tenantId=${tenantId} />`}
      ${step === 'access' && html`<${AccessStep} form=${form} tenantId=${tenantId} />`}
      ${step === 'review' && html`<${ReviewStep} review=${review} values=${wizard.values} sites=${sites.data} sets=${sets} />`}
    </${WizardFrame}>
    <p><a href=${href('/tenants/:tenantId/spotGroups', { tenantId })}>Cancel and go back to the Spot Groups</a></p>
  </${Page}>`;
}
