// The Cloud PC area's vocabulary: statuses, what each action is called, needs and warns of (pages and model share it).

import { BULK_ACTIONS as API_BULK_ACTIONS, CLOUD_PC_PROVISIONED, CLOUD_PC_STATUSES } from '../vocabulary.js';
import { dateTime } from './format.js';

// the statuses a list always shows a tile for, in this order; the API's others follow, in its order
export const ALWAYS_TILED = ['provisioned', 'provisionedWithWarnings', 'pendingProvision', 'provisioning', 'failed', 'inGracePeriod'];
export const STATUSES = [...ALWAYS_TILED, ...CLOUD_PC_STATUSES.filter((status) => !ALWAYS_TILED.includes(status))];

/**
 * Every action: its button, the operation the caller's role must allow, and
 * what the admin is told before a destructive one (`warn`, with `{what}` the Cloud PC or "3 Cloud PCs").
 */
export const ACTIONS = {
  reboot: { label: 'Restart', operation: 'rebootCloudPc',
    warn: 'Anyone signed in to {what} is disconnected and loses unsaved work.' },
  powerOn: { label: 'Power on', operation: 'powerOnCloudPc', warn: null },
  powerOff: { label: 'Power off', operation: 'powerOffCloudPc',
    warn: '{what}: the VM is deallocated; anyone signed in loses unsaved work, and nobody can connect until it is powered on.' },
  troubleshoot: { label: 'Troubleshoot', operation: 'troubleshootCloudPc', warn: null },
  retry: { label: 'Retry', operation: 'retryCloudPc', warn: null },
  reprovision: { label: 'Reprovision', operation: 'reprovisionCloudPc',
    warn: '{what}: the VM and everything on it are deleted, then built again from the policy\'s current settings.' },
  endGracePeriod: { label: 'End grace period', operation: 'endGracePeriodCloudPc',
    warn: '{what}: deprovisioning starts at once; the VM and its data are deleted.' },
  resize: { label: 'Resize', operation: 'resizeCloudPc',
    warn: '{what}: the VM restarts on {plan}, and the user\'s license moves to that plan.' },
  rename: { label: 'Rename', operation: 'renameCloudPc', warn: null },
};

// what the API takes in bulk (BulkActionCreate's actions)
export const BULK_ACTIONS = API_BULK_ACTIONS.filter((action) => action in ACTIONS);

export function actionLabel(action) {
  return ACTIONS[action]?.label || action;
}

/** The actions a Cloud PC's status allows now: the API's `allowedActions`, its state machine's rule (not kept here). */
export function allowedActions(cloudPc) {
  return (cloudPc.allowedActions || []).filter((action) => action in ACTIONS);
}

/** What the admin is asked before `action`, or null when it needs no confirmation. */
export function warning(action, what, plan = 'the new plan') {
  const text = ACTIONS[action]?.warn;
  if (!text) return null;
  const said = text.replace('{what}', what).replace('{plan}', plan);
  return said.charAt(0).toUpperCase() + said.slice(1);
}

/** The outcome of a timeline line as a badge's status class (colour) and its words (the signal). */
export function outcomeBadge(outcome) {
  const status = { succeeded: 'succeeded', failed: 'failed', warning: 'warning', running: 'provisioning' }[outcome] || null;
  return { status, label: { info: 'Recorded' }[outcome] || (outcome ? outcome.charAt(0).toUpperCase() + outcome.slice(1) : '—') };
}

/** An Azure resource by its name, the last segment of its id: 'cpc-p-westeurope'. */
export const resourceName = (id) => id.split('/').filter(Boolean).at(-1);

/**
 * Where a Cloud PC's user connects (the API's launchInfo), as rows of the page's connection panel: `[label, shown,
 * copied]`, `copied` what its copy button copies (null: none): an address as it is, an Azure resource (only where
 * the app hosts the desktop) shown by its name and copied as its full id.
 */
export function connectionRows(info) {
  const resource = (label, id) => id && [label, resourceName(id), id];
  return [
    ['Feed (Windows App, Remote Desktop client)', info.feedUrl, info.feedUrl],
    ['Web client', info.webClientUrl, info.webClientUrl],
    resource('Host pool', info.hostPoolId),
    resource('Workspace', info.workspaceId),
    resource('Desktop application group', info.applicationGroupId),
    ['Starts when the user connects', info.startsOnConnect ? 'Yes: Start VM on Connect' : 'No', null],
  ].filter(Boolean);
}

/** A provisioned Cloud PC its user has never been seen connected to (absent `lastConnectedDateTime`: never seen). */
export function neverConnected(cloudPc) {
  return CLOUD_PC_PROVISIONED.includes(cloudPc.status) && !cloudPc.lastConnectedDateTime;
}

/** When its user last connected, as the connection panel says it. */
export function lastConnected(cloudPc) {
  return cloudPc.lastConnectedDateTime ? `Last connected ${dateTime(cloudPc.lastConnectedDateTime)}` : 'Never connected';
}

/** Since when its user has been away (the power rules count from then), or null while they are connected or unseen. */
export function userAway(cloudPc) {
  return cloudPc.userAwaySince ? `User away since ${dateTime(cloudPc.userAwaySince)}` : null;
}
