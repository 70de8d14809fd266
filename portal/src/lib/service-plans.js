// Which license plans a Cloud PC can be resized to: the ones provisioning policies make Cloud PCs of.

/** Windows 365 Enterprise plans of one user each, other than `currentId` (Business and Shared Use are not resize targets). */
export function resizeTargets(plans, currentId) {
  return (plans || []).filter((plan) => plan.type === 'enterprise' && plan.provisioningType === 'dedicated' && plan.id !== currentId);
}
