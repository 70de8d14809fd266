// Every page module registers its routes when imported; the order here is the order routes are matched.
import './overview.js';
import './tenants.js';
import './tenant-settings.js';
import './onboarding.js';
import './access.js';
import './connections.js';
import './images.js';
import './policies.js';
import './user-settings.js';
import './cloud-pc-list.js';
import './cloud-pc-detail.js';
import './bulk-actions.js';
import './usage.js';
import './image-sets.js';
import './spot-groups.js';
import './alerts.js';
import './alert-rules.js';
