// Sign-in: OpenID Connect authorization code with PKCE (Entra ID in Azure, the emulator's issuer locally).
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';

let manager = null;
let current = null;

function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

export async function startSignIn(config) {
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
  // a sign-in's return carries a state this tab stored; admin consent's comes back to the same address with its own
  if (query.has('code') || (query.has('error') && (await states.get(query.get('state') || '')))) {
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
