// What Entra's admin consent endpoint sent back to the portal's address: the app's tenant (the state) and the outcome.

/** `{tenantId, granted, message}` for a return from admin consent, in an admin's words; null for any other address. */
export function consentReturn(search) {
  const query = new URLSearchParams(search);
  const tenantId = query.get('state');
  if (!tenantId || !(query.has('admin_consent') || query.has('error'))) return null;
  if (query.get('admin_consent') === 'True') {
    return { tenantId, granted: true, message: "Consent granted by the customer's administrator." };
  }
  // Entra's description starts with its AADSTS code: the sentence after it is the admin's
  const reason = (query.get('error_description') || query.get('error') || '').replace(/^AADSTS\d+:\s*/, '');
  const declined = query.get('error') === 'access_denied';
  return {
    tenantId,
    granted: false,
    message: declined ? `The customer's administrator declined: ${reason}` : `Admin consent did not complete: ${reason}`,
  };
}
