// A customer tenant's onboarding report: what the app needs there (consent, Graph permissions, Azure roles) as it finds it.
import { get, tenantPath } from '../api.js';
import { resource } from './resource.js';

export const onboarding = (tenantId) => resource(tenantPath(tenantId, 'onboarding'), get, { idleMs: 60_000 });
