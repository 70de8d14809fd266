// One image set: its details, its versions as they build (followed without a reload), edits and deletes.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { can } from '../access.js';
import { href } from '../router.js';
import { ActionButton, AsOf, Details, ErrorBanner, Field, Notice, Page, StatusBadge, confirm, useForm } from '../ui.js';
import { imageLabel, placeLabel } from '../lib/spot-pc.js';
import { dateTime } from '../lib/format.js';
import { deleteImageSet, imageSetPage, marketplaceImages, updateImageSet } from '../models/image-sets.js';
import { useResource } from '../models/resource.js';
import { siteList } from '../models/sites.js';
import { regions } from '../models/catalog.js';
import { AddVersion, Refusal, VersionsTable } from './image-set-versions.js';

function EditNotes({ imageSet, tenantId, onSaved }) {
  const form = useForm({ description: imageSet.description || '', notes: imageSet.notes || '' });
  const save = async () => {
    form.clear();
    const body = {
      description: form.values.description.trim() || null,
      notes: form.values.notes.trim() || null,
    };
    try {
      await updateImageSet(tenantId, imageSet, body);
      onSaved('Description and notes saved.');
    } catch (error) {
      if (error.status === 412) error.message = 'Someone changed this image set since the page read it; the page now shows their change: check it and save again.';
      form.fail(error);
      if (error.status === 412) onSaved(null);
    }
  };
  return html`<form onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="edit-set-heading">
    <h3 id="edit-set-heading">Edit</h3>
    <p class="muted">Only the description and notes change; the name, place and source image stay as created.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows="2" />
    <${Field} form=${form} name="notes" label="Notes" type="textarea" rows="3" />
    <${ActionButton} type="submit" onClick=${save} busyLabel="Saving…">Save description and notes</${ActionButton}>
  </form>`;
}

export function ImageSetPage({ params, query }) {
  const { tenantId, imageSetId } = params;
  const poll = useResource(imageSetPage(tenantId, imageSetId));
  const seen = useRef(null); // the set as last read, to name it once it is gone
  const sites = useResource(siteList(tenantId));
  const regionList = useResource(regions).data;
  const images = useResource(marketplaceImages(tenantId));
  const [saved, setSaved] = useState(query.created ? 'Image set created: its version 0.0.0 is built from the marketplace image first.' : null);
  const [deleteError, setDeleteError] = useState(null);
  const list = href('/tenants/:tenantId/imageSets', { tenantId });
  const data = poll.data;
  if (data?.gone) {
    const was = seen.current;
    return html`<${Page} title=${was ? was.displayName : 'Image set not found'}>
      ${was ? html`<${Notice} kind="success">The image set ${was.displayName} is deleted: its gallery images and definition are gone from Azure.</${Notice}>`
        : html`<p>There is no such image set in this tenant: it was deleted, or the address is wrong.</p>`}
      <p><a href=${list}>All image sets</a></p></${Page}>`;
  }
  if (!data) {
    return html`<${Page} title="Image set"><${ErrorBanner} error=${poll.error} />${!poll.error && html`<p class="muted">Loading…</p>`}
      <p><a href=${list}>All image sets</a></p></${Page}>`;
  }
  const { imageSet, versions } = data;
  seen.current = imageSet;
  const image = images.data?.find((entry) => entry.id === imageSet.sourceImageId);
  const remove = async () => {
    const question = `Delete the image set ${imageSet.displayName}? The gallery images of its ${versions.length} version${versions.length === 1 ? '' : 's'} `
      + 'and its image definition are removed from Azure, then the set. No Spot Group or custom image can be made from it again.';
    if (!(await confirm(question, { title: 'Delete image set?', confirmLabel: 'Delete image set' }))) return;
    setDeleteError(null);
    try {
      await deleteImageSet(tenantId, imageSetId);
      setSaved('Deletion started: the gallery images go first, then the set.');
    } catch (error) {
      setDeleteError(error);
    }
  };
  const deleting = imageSet.status === 'deleting';
  return html`<${Page} title=${imageSet.displayName} subtitle=${`${placeLabel(imageSet, sites.data, regionList)} · from ${image?.displayName || (images.data ? imageSet.sourceImageId : '…')}`}
      actions=${html`<${AsOf} poll=${poll} />
        ${can('deleteImageSet', tenantId) && !deleting && html`<${ActionButton} kind="danger" onClick=${remove} busyLabel="Deleting…">Delete image set</${ActionButton}>`}`}>
    <p><a href=${list}>All image sets</a></p>
    ${saved && html`<${Notice} kind="success">${saved}</${Notice}>`}
    <${Refusal} error=${deleteError} tenantId=${tenantId} what="The image set was not deleted" />
    <${ErrorBanner} error=${poll.error} title="The image set could not be read again" />
    <${VersionsTable} imageSet=${imageSet} versions=${versions} tenantId=${tenantId} />
    ${can('createImageSetVersion', tenantId) && !deleting && html`<${AddVersion} versions=${versions} tenantId=${tenantId} imageSetId=${imageSetId}
      onAdded=${(version) => setSaved(`Version ${version.version} added.`)} />`}
    <section class="card wide" aria-labelledby="set-details-heading">
      <h2 id="set-details-heading">Details</h2>
      <${Details} items=${[
        ['Status', html`<${StatusBadge} status=${imageSet.status} />`],
        ['Latest version', imageSet.latestVersion],
        ['Kept in', placeLabel(imageSet, sites.data, regionList)],
        imageSet.global && ['Built in', placeLabel({ siteId: imageSet.homeSiteId }, sites.data, regionList)],
        ['Source image', image ? imageLabel(image) : imageSet.sourceImageId],
        ['Description', imageSet.description],
        ['Notes', imageSet.notes],
        ['Created', dateTime(imageSet.createdDateTime)],
        ['Modified', dateTime(imageSet.lastModifiedDateTime)],
      ]} />
      ${can('updateImageSet', tenantId) && !deleting && html`<${EditNotes} key=${imageSet.id} imageSet=${imageSet} tenantId=${tenantId}
        onSaved=${setSaved} />`}
    </section>
  </${Page}>`;
}
