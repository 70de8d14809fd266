// The role order of the API's ACCESS table: each role includes the ones before it.
export const ROLES = ['reader', 'operator', 'administrator', 'owner'];

/** Whether a caller with `role` on a tenant (null: none) may call an operation that needs `access`. */
export function roleAllows(access, role, organizationOwner = false) {
  if (access === undefined || access === null) return false; // an operation the document does not name
  if (access === 'anyone' || access === 'signedIn') return true;
  if (access === 'organizationOwner') return organizationOwner;
  const needed = ROLES.indexOf(access);
  return needed >= 0 && role !== null && ROLES.indexOf(role) >= needed;
}
