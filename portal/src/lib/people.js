// A person or app picked for a tenant's role: how it is named, and the body that gives it the role.

/** Who a principal is, as a row or a pick list names it: its name, and its sign-in name or e-mail when it has one. */
export function principalLabel(principal) {
  const name = principal.displayName || principal.principalName || 'Unnamed';
  const address = principal.mail || principal.userPrincipalName;
  return address && address !== name ? `${name} (${address})` : name;
}

/** The role assignment's body: a user by sign-in name (the server keeps its id and name), an app by its object id. */
export function assignmentBody(principal, role) {
  if (principal.kind !== 'servicePrincipal' && principal.userPrincipalName) {
    return { userPrincipalName: principal.userPrincipalName, role };
  }
  return { principalId: principal.id, principalName: principal.displayName, role };
}

/** An invitation's body from the form: the name only when given. */
export function invitationBody({ email, displayName, role, sendInvitationMessage }) {
  return { email: email.trim(), ...(displayName.trim() ? { displayName: displayName.trim() } : {}), role, sendInvitationMessage };
}
