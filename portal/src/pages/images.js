// Device images (custom images imported from a managed image) and the Windows 365 gallery images.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { backendOf, can } from '../access.js';
import { href, page } from '../router.js';
import { ActionButton, AsOf, DataTable, ErrorBanner, Failure, Field, Notice, Page, ReviewCard, StatusBadge, confirm, useForm } from '../ui.js';
import { PickOrType } from '../pick-list.js';
import { dateTime, words } from '../lib/format.js';
import { addDeviceImage, checkDeviceImage, deleteDeviceImage, deviceImages, galleryImages } from '../models/images.js';
import { useResource } from '../models/resource.js';
import { siteImages, siteList } from '../models/sites.js';

const KINDS = { managedImage: 'Managed images', galleryImageVersion: 'Gallery image versions' };

/** An image of the site's subscription a device image can come from, as a pick-list choice. */
const imageChoice = (image) => ({
  value: image.id, group: KINDS[image.kind] || image.kind,
  label: `${image.name} (${image.resourceGroupName})${image.hyperVGeneration ? ` · generation ${image.hyperVGeneration.replace(/^V/, '')}` : ''}`,
});

/** "images/win11-golden" or "galleries/gal/images/win11/versions/1.0.0": an image id without its subscription. */
const sourceOf = (id) => id.split(/\/providers\/Microsoft\.Compute\//i)[1] || id;

function AddImage({ tenantId, sites, onAdded }) {
  const form = useForm({ displayName: '', siteId: '', version: '1.0.0', sourceImageResourceId: '' });
  const [review, setReview] = useState(null); // the image as the server checked it, before it is added
  const siteId = form.values.siteId || sites?.[0]?.id || '';
  const site = sites?.find((entry) => entry.id === siteId);
  const byWindows365 = backendOf(tenantId) === 'windows365';
  const check = async () => {
    form.clear();
    try {
      setReview((await checkDeviceImage(tenantId, { ...form.values, siteId })).summary);
    } catch (error) {
      form.fail(error);
    }
  };
  const add = async () => {
    try {
      const added = await addDeviceImage(tenantId, { ...form.values, siteId });
      setReview(null);
      form.setValues({ ...form.values, displayName: '', sourceImageResourceId: '' });
      onAdded(added);
    } catch (error) {
      setReview(null);
      form.fail(error);
    }
  };
  if (sites && !sites.length) {
    return html`<${Notice} kind="info">To add a custom image, <a href=${href('/tenants/:tenantId/sites', { tenantId })}>add a site</a> first: an image is imported into a site's subscription.</${Notice}>`;
  }
  if (review) {
    return html`<${ReviewCard} title="Review the custom image" action="Add image" busyLabel="Adding…" onConfirm=${add} onChange=${() => setReview(null)}
      lead=${`Every check passed. ${byWindows365 ? 'Windows 365 uploads the image and checks it' : 'The app imports the image and checks it'}: a few minutes, which the list follows.`}
      items=${[
        ['Name', review.displayName], ['Version', review.version], ['Site', site ? `${site.displayName} (${site.regionName})` : review.siteId],
        ['Source image', sourceOf(review.sourceImageResourceId)],
      ]} />`;
  }
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); check(); }} aria-labelledby="add-image">
    <h2 id="add-image">Add a custom image</h2>
    <p class="muted">${byWindows365
      ? 'Uploads a generalized Windows 10 or 11 Enterprise managed image to Windows 365, which checks it. The upload takes a few minutes; the list shows when it is ready.'
      : 'Imports a generalized Windows 10 or 11 Enterprise managed image (or an image set\'s gallery version). The import takes a few minutes; the list shows when it is ready.'}</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="displayName" label="Image name" required />
    <${Field} form=${{ ...form, values: { ...form.values, siteId } }} name="siteId" label="Site" type="select" required
      options=${(sites || []).map((entry) => ({ value: entry.id, label: `${entry.displayName} (${entry.regionName})` }))} />
    <${Field} form=${form} name="version" label="Version" required hint="Major.Minor.Patch, such as 1.0.0." />
    ${siteId && html`<${PickOrType} form=${form} name="sourceImageResourceId" label="Source image" typedLabel="resource id" required
      list=${siteImages(tenantId, siteId)} choice=${imageChoice} first=${{ label: 'Choose an image', disabled: true }}
      placeholder="/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/images/…"
      hint=${`${byWindows365 ? 'Managed images' : 'Managed images and gallery image versions'} of the site's subscription that can be used in ${site?.regionName || 'its region'}.`}
      typedHint="The ARM id of the managed image, or of a gallery image version." />`}
    <${ActionButton} type="submit" kind="primary" onClick=${check} busyLabel="Checking…">Review</${ActionButton}>
  </form>`;
}

function DeviceImages({ tenantId, sites }) {
  const poll = useResource(deviceImages(tenantId));
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const siteName = (id) => sites?.find((site) => site.id === id)?.displayName || id;
  const remove = async (image) => {
    const question = `Delete the device image ${image.displayName} ${image.version}? Policies can no longer choose it; Cloud PCs already made from it are not affected.`;
    if (!(await confirm(question, { title: 'Delete image?', confirmLabel: 'Delete' }))) return;
    setError(null);
    setMessage(null);
    try {
      await deleteDeviceImage(tenantId, image.id);
      setMessage(`Deleted ${image.displayName}.`);
    } catch (failure) {
      setError(failure.status === 409
        ? [failure.message, 'A provisioning policy uses this image: give the policy another image first, then delete this one.']
        : failure);
    }
  };
  const columns = [
    { label: 'Name', key: 'displayName' },
    { label: 'Version', key: 'version' },
    { label: 'Site', render: (image) => siteName(image.siteId) },
    { label: 'Status', render: (image) => html`<${StatusBadge} status=${image.status} />
      <${Failure} detail=${image.failure} compact />` },
    { label: 'OS', render: (image) => image.osVersion || '—' },
    { label: 'In use', render: (image) => (image.inUse ? 'Yes' : 'No') },
    { label: 'Added', render: (image) => dateTime(image.createdDateTime) },
    ...(can('deleteDeviceImage', tenantId) ? [{ label: 'Actions', render: (image) => html`<${ActionButton} kind="subtle" label=${`Delete ${image.displayName} ${image.version}`}
      onClick=${() => remove(image)} busyLabel="Deleting…">Delete</${ActionButton}>` }] : []),
  ];
  return html`<section aria-labelledby="device-images">
    <div class="section-header"><h2 id="device-images">Custom images</h2><${AsOf} poll=${poll} /></div>
    <${ErrorBanner} error=${poll.error} />
    <${ErrorBanner} error=${error} title="Not deleted" />
    ${message && html`<${Notice} kind="success">${message}</${Notice}>`}
    <${DataTable} caption="Device images" columns=${columns} rows=${poll.data} empty="No custom images yet." />
    ${can('createDeviceImage', tenantId) && html`<${AddImage} tenantId=${tenantId} sites=${sites}
      onAdded=${(image) => setMessage(`Importing ${image.displayName} ${image.version}: the list follows it until it is ready.`)} />`}
  </section>`;
}


function GalleryImages({ tenantId }) {
  const poll = useResource(galleryImages(tenantId));
  const columns = [
    { label: 'Name', key: 'displayName' },
    { label: 'Publisher', key: 'publisherName' },
    { label: 'Offer', key: 'offerName' },
    { label: 'SKU', key: 'skuName' },
    { label: 'Support', render: (image) => html`<${StatusBadge} status=${image.status === 'supported' ? 'ready' : image.status === 'notSupported' ? 'failed' : 'warning'} label=${words(image.status)} />` },
    { label: 'Recommended for', render: (image) => image.recommendedFor.map(words).join(', ') || '—' },
  ];
  return html`<section aria-labelledby="gallery-images">
    <h2 id="gallery-images">Gallery images</h2>
    <p class="muted">Windows 365 images Microsoft keeps up to date; any policy can use one without importing it.</p>
    <${ErrorBanner} error=${poll.error} />
    <${DataTable} caption="Gallery images" columns=${columns} rows=${poll.data} />
  </section>`;
}

function Images({ params }) {
  const { tenantId } = params;
  const sites = useResource(siteList(tenantId));
  return html`<${Page} title="Device images" subtitle="The Windows images provisioning policies build Cloud PCs from.">
    <${ErrorBanner} error=${sites.error} title="The sites could not be read" />
    <${DeviceImages} tenantId=${tenantId} sites=${sites.data} />
    <${GalleryImages} tenantId=${tenantId} />
  </${Page}>`;
}

page('/tenants/:tenantId/images', Images);
