// Spot PC image sets: the list, the form that creates one (its version 0.0.0 is built at once), and the routes.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { can } from '../access.js';
import { go, href, page, setQuery } from '../router.js';
import { ActionButton, AsOf, DataTable, ErrorBanner, Field, Page, ReviewCard, StatusBadge, useForm } from '../ui.js';
import { GLOBAL, imageLabel, imageSetBody, placeLabel } from '../lib/spot-pc.js';
import { dateTime, words } from '../lib/format.js';
import { checkImageSet, createImageSet, imageSetList, marketplaceImages } from '../models/image-sets.js';
import { useResource } from '../models/resource.js';
import { siteList } from '../models/sites.js';
import { regions } from '../models/catalog.js';
import { ImageSetPage } from './image-set-page.js';

/** A global set's error names `global`; on this form that is the place field, `siteId`. */
const onPlace = (error) => ({
  message: error.message,
  target: error.target === 'global' ? 'siteId' : error.target,
  details: (error.details || []).map((detail) => (detail.target === 'global' ? { ...detail, target: 'siteId' } : detail)),
});

function CreateImageSet({ tenantId, sites, images }) {
  const form = useForm({ displayName: '', description: '', siteId: sites[0]?.id || GLOBAL, sourceImageId: images[0]?.id || '', notes: '' });
  const chosen = images.find((image) => image.id === form.values.sourceImageId);
  const [review, setReview] = useState(null); // the set as the server checked it, before it is created
  const check = async () => {
    form.clear();
    try {
      setReview((await checkImageSet(tenantId, imageSetBody(form.values))).summary);
    } catch (error) {
      form.fail(onPlace(error));
    }
  };
  const submit = async () => {
    try {
      const created = await createImageSet(tenantId, imageSetBody(form.values));
      go('/tenants/:tenantId/imageSets/:imageSetId', { tenantId, imageSetId: created.id }, { created: '1' });
    } catch (error) {
      setReview(null);
      form.fail(onPlace(error));
    }
  };
  const places = [
    ...sites.map((site) => ({ value: site.id, label: `${site.displayName} (${site.regionName})` })),
    { value: GLOBAL, label: 'Global: built in the first site, replicated to every site\'s region' },
  ];
  if (review) {
    return html`<${ReviewCard} title="Review the image set" action="Create image set" busyLabel="Creating…" onConfirm=${submit}
      onChange=${() => setReview(null)}
      lead="Every check passed. Creating the set builds its version 0.0.0 at once: a build VM is made from the source image, captured into the Compute Gallery and removed."
      items=${[
        ['Name', review.displayName], ['Description', review.description || '—'],
        ['Where it is kept', places.find((place) => place.value === form.values.siteId)?.label || form.values.siteId],
        ['Source image', chosen ? imageLabel(chosen) : review.sourceImageId], ['Notes', form.values.notes || '—'],
      ]} />`;
  }
  return html`<form class="card" onSubmit=${(event) => { event.preventDefault(); check(); }} aria-labelledby="new-image-set">
    <h2 id="new-image-set">Create an image set</h2>
    <p class="muted">A set starts from a marketplace image. Its version 0.0.0 is built from it at once: a build VM is made,
      captured into the site's Compute Gallery and removed. Later versions add your customizations.</p>
    <${ErrorBanner} error=${form.errors.general} />
    <${Field} form=${form} name="displayName" label="Display name" required />
    <${Field} form=${form} name="description" label="Description" type="textarea" rows="2" />
    <${Field} form=${form} name="siteId" label="Where it is kept" type="select" required options=${places}
      hint="One site, or global. A Spot Group can use a version only in a region it is replicated to." />
    <${Field} form=${form} name="sourceImageId" label="Source image" type="select" required
      options=${images.map((image) => ({ value: image.id, label: imageLabel(image) }))}
      hint=${chosen ? `Recommended for ${chosen.recommendedFor.map((use) => `${use} Spot Groups`).join(' and ')}. ${chosen.multiSession
        ? 'Multi-session: many users share one host.' : 'Single-session: one user per host; pooled groups cannot use it.'}` : null} />
    <${Field} form=${form} name="notes" label="Notes" type="textarea" rows="2" hint="Why this set, for whoever reads it next. Version 0.0.0 keeps them too." />
    <${ActionButton} type="submit" kind="primary" onClick=${check} busyLabel="Checking…">Review</${ActionButton}>
  </form>`;
}

function StatusFilter({ value, counts }) {
  const statuses = Object.keys(counts);
  return html`<div class="toolbar">
    <div class="field">
      <label for="image-set-status">Status</label>
      <select id="image-set-status" value=${value || ''} onChange=${(event) => setQuery({ status: event.currentTarget.value })}>
        <option value="">Any status (${Object.values(counts).reduce((sum, count) => sum + count, 0)})</option>
        ${statuses.map((status) => html`<option value=${status}>${words(status)} (${counts[status]})</option>`)}
      </select>
    </div>
  </div>`;
}

function ImageSets({ params, query }) {
  const { tenantId } = params;
  const poll = useResource(imageSetList(tenantId));
  const sites = useResource(siteList(tenantId));
  const regionList = useResource(regions).data;
  const images = useResource(marketplaceImages(tenantId));
  // an id shows as one (in <code>) until the names are read
  const imageName = (id) => images.data?.find((image) => image.id === id)?.displayName || html`<code>${id}</code>`;
  const all = poll.data;
  const counts = {};
  for (const set of all || []) counts[set.status] = (counts[set.status] || 0) + 1;
  const rows = all && (query.status ? all.filter((set) => set.status === query.status) : all);
  const columns = [
    { label: 'Name', render: (set) => html`<a href=${href('/tenants/:tenantId/imageSets/:imageSetId', { tenantId, imageSetId: set.id })}>${set.displayName}</a>` },
    { label: 'Kept in', render: (set) => placeLabel(set, sites.data, regionList) },
    { label: 'Source image', render: (set) => imageName(set.sourceImageId) },
    { label: 'Latest version', key: 'latestVersion' },
    { label: 'Status', render: (set) => html`<${StatusBadge} status=${set.status} />` },
    { label: 'Created', render: (set) => dateTime(set.createdDateTime) },
  ];
  return html`<${Page} title="Image sets" subtitle="Spot PC images: a marketplace image and the versions you customize from it."
      actions=${html`<${AsOf} poll=${poll} />`}>
    <${ErrorBanner} error=${poll.error} />
    ${all && all.length > 0 && html`<${StatusFilter} value=${query.status} counts=${counts} />`}
    <${DataTable} caption="Image sets" columns=${columns} rows=${rows}
      empty=${query.status ? `No image set is ${words(query.status).toLowerCase()}.` : 'No image sets yet: create one below to build Spot Group session hosts from.'} />
    <${ErrorBanner} error=${sites.error || images.error} title="The form's choices could not be read" />
    ${can('createImageSet', tenantId) && sites.data && images.data && (sites.data.length
      ? html`<${CreateImageSet} tenantId=${tenantId} sites=${sites.data} images=${images.data} />`
      : html`<p class="card">An image set is built in a site: <a href=${href('/tenants/:tenantId/sites', { tenantId })}>add a site</a> first.</p>`)}
  </${Page}>`;
}

page('/tenants/:tenantId/imageSets', ImageSets);
page('/tenants/:tenantId/imageSets/:imageSetId', ImageSetPage);
