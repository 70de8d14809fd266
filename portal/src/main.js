// The portal's entry: read where to sign in, sign in, learn the caller's roles, then show the pages.
import { render } from 'preact';
import { html } from 'htm/preact';
import { loadAccess } from './access.js';
import { get } from './api.js';
import { signIn, startSignIn } from './auth.js';
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

async function start() {
  try {
    const config = await get('portal/configuration');
    const user = await startSignIn(config);
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
