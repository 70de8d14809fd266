// Sign-in: OpenID Connect authorization code with PKCE (Entra ID in Azure, the emulator's issuer locally).
import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';

let manager = null;
let current = null;
let settings = null;

// A customer's administrator, signed in once for a one-step grant (pages/onboarding.js): for `azure`, the Azure
// administrator with ARM's delegated scope; for `entra`, the Entra administrator with Graph's scopes that grant the
// app its permissions. Their token is kept in this page's memory only, never in storage, and forgotten once the grant
// is done or the page reloads.
const ADMIN_SCOPES = {
  azure: 'https://management.azure.com/user_impersonation',
  entra: 'https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All https://graph.microsoft.com/Application.Read.All',
};
const GRANT = 'grant.'; // the prefix of the grant sign-in's state in session storage, apart from the portal's own
const grantStates = new WebStorageStateStore({ store: window.sessionStorage, prefix: GRANT });
let adminGrant = null; // {tenantId, purpose, token, name, expiresAt} or {tenantId, purpose, error}

function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

export async function startSignIn(config) {
  settings = config;
  const states = new WebStorageStateStore({ store: window.sessionStorage });
  manager = new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    post_logout_redirect_uri: redirectUri(),
    response_type: 'code',
    // offline_access: a refresh token renews the access token in the background, so a long session keeps working
    scope: `openid profile offline_access ${config.scope}`,
    loadUserInfo: false,
    automaticSilentRenew: true,
    // tokens live in this tab's session storage only, never in a URL or a cookie the server sees
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: states,
  });
  const query = new URLSearchParams(location.search);
  if ((query.has('code') || query.has('error')) && (await grantStates.get(query.get('state') || ''))) {
    await finishAdminSignIn();
    // a sign-in's return carries a state this tab stored; admin consent's comes back to the same address with its own
  } else if (query.has('code') || (query.has('error') && (await states.get(query.get('state') || '')))) {
    const user = await manager.signinRedirectCallback();
    // the code leaves the address bar at once; the page the admin was on comes back from the state
    history.replaceState(null, '', `${location.pathname}${user.state?.hash || '#/'}`);
    current = user;
    return user;
  }
  current = await manager.getUser();
  if (current && current.expired) current = null;
  return current;
}

/** The customer's authority for a grant: the portal's own Entra host, in the customer's tenant. */
function grantManager(entraTenantId, purpose) {
  return new UserManager({
    authority: `${new URL(settings.authority).origin}/${entraTenantId}/v2.0`,
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: `openid profile ${ADMIN_SCOPES[purpose]}`,
    loadUserInfo: false,
    automaticSilentRenew: false,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: grantStates,
  });
}

/** A customer's administrator signs in to their own tenant, for Azure (`azure`) or for Graph's grants (`entra`), and
 * comes back to this page. */
export function adminSignIn(tenantId, entraTenantId, purpose = 'azure') {
  // where to come back to, whatever the answer: not secret, and gone once back
  window.sessionStorage.setItem(`${GRANT}return`, JSON.stringify({ entraTenantId, tenantId, purpose, hash: location.hash }));
  return grantManager(entraTenantId, purpose).signinRedirect({ prompt: 'select_account' });
}

async function finishAdminSignIn() {
  const { entraTenantId, tenantId, purpose, hash } = JSON.parse(window.sessionStorage.getItem(`${GRANT}return`) || '{}');
  window.sessionStorage.removeItem(`${GRANT}return`);
  try {
    const user = await grantManager(entraTenantId, purpose).signinRedirectCallback();
    const name = user.profile?.name || user.profile?.preferred_username || 'the administrator';
    adminGrant = { tenantId, purpose, token: user.access_token, name, expiresAt: user.expires_at };
  } catch (error) {
    adminGrant = { tenantId, purpose, error: (error?.error_description || error?.message || String(error)).replace(/^AADSTS\d+:\s*/, '') };
  }
  history.replaceState(null, '', `${location.pathname}${hash || '#/'}`);
}

/** The administrator's sign-in for this tenant and purpose while it lasts: `{token, name}`, `{error}`, or null. */
export function adminGrantFor(tenantId, purpose = 'azure') {
  if (!adminGrant || adminGrant.tenantId !== tenantId || adminGrant.purpose !== purpose) return null;
  if (adminGrant.expiresAt && adminGrant.expiresAt * 1000 <= Date.now()) return null;
  return adminGrant;
}

export function forgetAdminGrant() {
  adminGrant = null;
}

export function signIn(loginHint) {
  return manager.signinRedirect({ state: { hash: location.hash }, login_hint: loginHint });
}

export function signOut() {
  return manager.signoutRedirect();
}

export function accessToken() {
  if (!current || current.expired) return null;
  return current.access_token;
}

export function signedInUser() {
  return current?.profile ?? null;
}

/** The token was refused or ran out: forget it and sign in again, coming back to the same page. */
export async function renewSignIn() {
  await manager.removeUser();
  current = null;
  return signIn();
}
