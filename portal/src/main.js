// The portal's entry: read where to sign in, sign in, learn the caller's roles, then show the pages.
import { render } from 'preact';
import { html } from 'htm/preact';
import { loadAccess } from './access.js';
import { get } from './api.js';
import { signIn, startSignIn } from './auth.js';
import { consentReturn } from './lib/consent-return.js';
import { consentOutcome } from './models/onboarding.js';
import { location$ } from './router.js';
import { parseHash } from './lib/routes.js';
import { Shell } from './shell.js';
import { ErrorBanner, keepFocus } from './ui.js';
import './pages/index.js';

const root = document.getElementById('app');
root.textContent = ''; // the 'Loading' line goes: render() adds to what is there
keepFocus();

function SignIn() {
  return html`<main class="sign-in" id="main">
    <h1>Cloud PC provisioning</h1>
    <p>Provision and manage Cloud PCs and Spot PC session hosts for every tenant you look after.</p>
    <button type="button" class="button primary" onClick=${() => signIn()}>Sign in</button>
  </main>`;
}

function Failed({ error }) {
  return html`<main class="sign-in" id="main"><h1>The portal could not start</h1><${ErrorBanner} error=${error} />
    <button type="button" class="button primary" onClick=${() => location.reload()}>Try again</button></main>`;
}

// back from the customer's admin consent: its query leaves the address bar and the tenant's onboarding shows it
function showConsentReturn() {
  const returned = consentReturn(location.search);
  if (!returned) return;
  history.replaceState(null, '', `${location.pathname}#/tenants/${encodeURIComponent(returned.tenantId)}/onboarding`);
  location$.value = parseHash(location.hash);
  consentOutcome.value = returned;
}

async function start() {
  try {
    const config = await get('portal/configuration');
    const user = await startSignIn(config);
    location$.value = parseHash(location.hash); // a sign-in's return put the page it left from back in the address
    showConsentReturn();
    if (!user) {
      render(html`<${SignIn} />`, root);
      return;
    }
    await loadAccess(get);
    render(html`<${Shell} />`, root);
  } catch (error) {
    render(html`<${Failed} error=${error} />`, root);
  }
}

start();
