// Alerts and alert rules in an admin's words: what each rule kind watches, open alerts first, how each channel fared,
// and the rule form's values to and from the API's body.
import { dateTime, plural, words } from './format.js';
import { fieldOf } from './wizard.js';
import { errorsByField } from './errors.js';
import { ALERT_SEVERITIES, ALERT_STATUSES, ALERT_THRESHOLD_UNITS } from '../vocabulary.js';

// each rule kind: what it watches, and whether its alerts' items are Cloud PCs (linked to their pages)
export const KINDS = {
  provisioningFailed: { watches: 'Cloud PCs that failed to provision, one alert per policy and error.', cloudPcs: true },
  provisionedWithWarnings: { watches: 'Cloud PCs provisioned with a warning, one alert per policy and warning.', cloudPcs: true },
  connectionUnhealthy: { watches: 'Azure network connections whose last health checks failed.' },
  imageBuildFailed: { watches: 'Device images that failed, and image set versions that failed to build.' },
  spotGroupRolledBack: { watches: 'Spot Groups whose last image update rolled back.' },
  spotHostUnhealthy: { watches: 'Spot Groups with a session host that failed or is unhealthy.' },
  spotHostEvicted: { watches: 'Spot Groups whose hosts Azure evicted within the threshold\'s hours.' },
  licensesLow: { watches: 'Service plans with fewer licenses free than the threshold.' },
  graceEndingSoon: { watches: 'Cloud PCs whose grace period ends within the threshold\'s hours, when they are deprovisioned.', cloudPcs: true },
  onboardingNotReady: { watches: 'The tenant\'s onboarding no longer complete: a consent or a role withdrawn.' },
  reclaimAnnounced: { watches: 'Cloud PCs announced for reclaim, unused for the tenant\'s reclaim days.', cloudPcs: true },
};

export const CHANNEL_KINDS = { webhook: 'Webhook', teams: 'Microsoft Teams', email: 'E-mail' };

/** The organization's rules, which watch every tenant, kept as a tenant's are: the API's `tenantId` for them. */
export const ORGANIZATION = '~organization';
/** An alert rule operation as the organization's rules name it: `createAlertRule`, `createOrganizationAlertRule`. */
export const ruleOperation = (operationId, tenantId) => (tenantId === ORGANIZATION ? operationId.replace('AlertRule', 'OrganizationAlertRule') : operationId);
/** Where a tenant's rules (or the organization's) are in the portal, `suffix` below the list. */
export const rulesPattern = (tenantId, suffix = '') => `${tenantId === ORGANIZATION ? '' : '/tenants/:tenantId'}/alertRules${suffix}`;
/** The channels a rule may have: the organization's send to the MSP's own webhooks and Teams, never from a
 * customer's mailbox. */
export const channelKindsOf = (tenantId) => Object.keys(CHANNEL_KINDS).filter((kind) => tenantId !== ORGANIZATION || kind !== 'email');

/** The unit a kind's threshold is in ('hours', 'licenses'), or undefined for a kind that takes none. */
export const thresholdUnit = (kind) => ALERT_THRESHOLD_UNITS[kind];

const isOpen = (alert) => alert.status !== 'resolved';

/** Open alerts before resolved ones, active before acknowledged, the most severe first, then the newest. */
export function openFirst(alerts) {
  const rank = (alert) => [isOpen(alert) ? 0 : 1, ALERT_STATUSES.indexOf(alert.status), ALERT_SEVERITIES.indexOf(alert.severity)];
  return [...alerts].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    const differs = x.findIndex((value, index) => value !== y[index]);
    return differs >= 0 ? x[differs] - y[differs] : String(b.raisedDateTime).localeCompare(String(a.raisedDateTime));
  });
}

/** The statuses a list shows when none is chosen: the open ones. */
export const OPEN_STATUSES = ALERT_STATUSES.filter((status) => isOpen({ status }));

/** How one channel's notice fared, in a sentence: 'Delivered after 2 attempts', 'Failed after 5 attempts: …'. */
export function deliveryWords(delivery) {
  const attempts = plural(delivery.attempts, 'attempt');
  // an error is a sentence of its own, with its full stop: the sentence around it gives the one shown
  const error = delivery.lastError ? `: ${delivery.lastError.replace(/\.$/, '')}` : '';
  if (delivery.status === 'delivered') return `Delivered ${dateTime(delivery.deliveredDateTime)}, after ${attempts}.`;
  if (delivery.status === 'failed') return `Failed after ${attempts}${error}. The app stopped trying.`;
  if (!delivery.attempts) return 'Waiting to be sent.';
  return `Not delivered yet after ${attempts}${error}. Next try ${dateTime(delivery.nextAttemptDateTime)}.`;
}

/** What a delivery was about: 'Raised' or 'Resolved' notice. */
export const eventWords = (event) => `${words(event)} notice`;

/** A new channel's form values. */
export const newChannel = (kind) => ({ kind, url: '', secret: '', mailbox: '', to: '', secretSet: false });

/** A rule's form values: empty for a new rule, else the rule as read (a webhook's secret is never read back). */
export function ruleValues(rule = null) {
  if (!rule) return { displayName: '', description: '', kind: 'provisioningFailed', severity: 'warning', threshold: NaN, enabled: true, channels: [] };
  return {
    displayName: rule.displayName, description: rule.description || '', kind: rule.kind, severity: rule.severity,
    threshold: rule.threshold ?? NaN, enabled: rule.enabled,
    channels: rule.channels.map((channel) => ({ ...newChannel(channel.kind), url: channel.url || '', mailbox: channel.mailbox || '',
      to: (channel.to || []).join(', '), secretSet: Boolean(channel.secretSet) })),
  };
}

const recipients = (text) => text.split(/[\s,;]+/).filter(Boolean);

function channelBody(channel) {
  if (channel.kind === 'email') return { kind: 'email', mailbox: channel.mailbox.trim(), to: recipients(channel.to) };
  const body = { kind: channel.kind, url: channel.url.trim() };
  // a webhook saved again without a secret keeps the one it has (for its URL)
  return channel.kind === 'webhook' && channel.secret ? { ...body, secret: channel.secret } : body;
}

/** The API's body for the form's values; a rule being edited keeps its kind, and a kind without a threshold sends none. */
export function ruleBody(values, { editing = false } = {}) {
  const threshold = thresholdUnit(values.kind) && Number.isFinite(values.threshold) ? values.threshold : null;
  return {
    displayName: values.displayName.trim(),
    description: values.description.trim(),
    ...(editing ? {} : { kind: values.kind }),
    severity: values.severity,
    threshold,
    enabled: values.enabled,
    channels: values.channels.map(channelBody),
  };
}

/** The names the form gives its fields, as the server's error targets name them ('channels.0.url'). */
export function ruleFields(channels) {
  const own = { webhook: ['url', 'secret'], teams: ['url'], email: ['mailbox', 'to'] };
  return ['displayName', 'description', 'kind', 'severity', 'threshold', 'enabled',
    ...channels.flatMap((channel, index) => own[channel.kind].map((field) => `channels.${index}.${field}`))];
}

/** The server's refusal placed at the form's fields: a target inside one (a recipient, `channels.0.to.1`) is its field's. */
export function ruleErrors(error, fields) {
  const steps = [{ fields }];
  const placed = error?.details?.length
    ? { ...error, message: error.message, details: error.details.map((detail) => ({ ...detail, target: fieldOf(steps, detail.target) ?? detail.target })) }
    : error;
  return errorsByField(placed, fields);
}
