// A customer tenant's onboarding report: what the app needs there (consent, Graph permissions, Azure roles) as it finds it.
import { signal } from '@preact/signals';
import { get, tenantPath } from '../api.js';
import { resource } from './resource.js';

// what the customer's admin answered at Entra's admin consent page, once back (lib/consent-return.js), until read
export const consentOutcome = signal(null);

export const onboarding = (tenantId) => resource(tenantPath(tenantId, 'onboarding'), get, { idleMs: 60_000 });
