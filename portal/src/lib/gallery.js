// The gallery images a Cloud PC's policy offers: those made for one person first, the recommended one to preselect,
// and images that share a name told apart by their SKU.

const forOnePerson = (image) => image.recommendedFor.includes('personal');
// supported for one person, then with a warning, then multi-session, then what the gallery no longer supports
const rank = (image) => {
  if (image.status === 'notSupported') return 3;
  if (!forOnePerson(image)) return 2;
  return image.status === 'supported' ? 0 : 1;
};

/** `{images, recommended}`: the images in the order to offer them, each with its `label`, and the id to preselect
 * (the first supported image made for one person), or null. */
export function galleryChoices(images) {
  const ordered = [...images].sort((a, b) => rank(a) - rank(b)); // stable: the service's order within each rank
  const named = new Map();
  for (const image of images) named.set(image.displayName, (named.get(image.displayName) || 0) + 1);
  return {
    images: ordered.map((image) => ({
      ...image,
      label: named.get(image.displayName) > 1 ? `${image.displayName} (${image.skuName})` : image.displayName,
    })),
    recommended: ordered.length && rank(ordered[0]) === 0 ? ordered[0].id : null,
  };
}
