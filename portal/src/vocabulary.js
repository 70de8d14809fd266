// The API's vocabulary, generated from the served OpenAPI document (/api/openapi.json) by
// tests/integration/test_portal_vocabulary.py, which fails when this file is stale: do not edit by hand.

export const CLOUD_PC_STATUSES = ["notProvisioned", "provisioning", "provisioned", "inGracePeriod", "deprovisioning", "failed", "provisionedWithWarnings", "resizing", "restoring", "pendingProvision", "movingRegion", "resizePendingLicense", "preparing"];
export const BULK_ACTIONS = ["reprovision", "retry", "endGracePeriod", "reboot", "powerOn", "powerOff", "resize"];
export const BULK_ACTION_STATUSES = ["running", "succeeded", "partiallySucceeded", "failed"];
export const TIMELINE_OUTCOMES = ["running", "succeeded", "failed", "warning", "info"];
export const SPOT_GROUP_STATUSES = ["deploying", "updating", "ready", "failed", "deleting"];
export const SESSION_HOST_STATUSES = ["creating", "running", "failed", "removing"];
export const IMAGE_UPDATE_STATUSES = ["running", "waitingForWindow", "cancelling", "succeeded", "failed", "rolledBack", "cancelled"];
export const IMAGE_VERSION_STATUSES = ["building", "awaitingCustomization", "capturing", "replicating", "ready", "failed", "deleting"];
export const DEVICE_IMAGE_STATUSES = ["pending", "ready", "failed"];
export const CONNECTION_STATUSES = ["pending", "running", "passed", "failed", "warning", "informational"];
export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
export const SCHEDULE_PHASES = ["rampUp", "peak", "rampDown", "offPeak"];
export const LOAD_BALANCING = ["breadthFirst", "depthFirst"];
export const LOG_OFF_POLICIES = ["waitForSignOut", "notifyThenLogOff"];
export const DECISION_ACTIONS = ["start", "deallocate", "drain", "notify", "logOff", "balanceLoad", "hibernate", "cancelImageUpdate"];
export const DECISION_OUTCOMES = ["done", "failed"];
export const SESSION_STATES = ["active", "disconnected"];
export const SESSION_ACTIONS = ["sendMessage", "disconnect", "logOff"];
export const CLOUD_PC_ATTENTION = ["inGracePeriod", "failed"];
export const CLOUD_PC_LIVE = ["provisioning", "provisioned", "inGracePeriod", "provisionedWithWarnings", "resizing", "pendingProvision"];
export const CLOUD_PC_PROVISIONED = ["provisioned", "provisionedWithWarnings"];
export const CLOUD_PC_UNDER_WAY = ["notProvisioned", "provisioning", "deprovisioning", "resizing", "restoring", "pendingProvision", "movingRegion", "resizePendingLicense", "preparing"];
export const SPOT_GROUP_BUSY = ["deploying", "updating", "deleting"];
export const SPOT_GROUP_SETTLED = ["ready", "failed"];
export const SESSION_HOST_BUSY = ["creating", "removing"];
export const IMAGE_UPDATE_RUNNING = ["running", "waitingForWindow"];
export const IMAGE_UPDATE_UNDER_WAY = ["running", "waitingForWindow", "cancelling"];
export const IMAGE_VERSION_BUILDING = ["building", "awaitingCustomization", "capturing", "replicating"];
export const IMAGE_VERSION_UNDER_WAY = ["building", "awaitingCustomization", "capturing", "replicating", "deleting"];
export const CONNECTION_CHECKING = ["pending", "running"];
export const CONNECTION_USABLE = ["passed", "warning", "informational"];
export const SPOT_GROUP_DEFAULTS = {"vmSize": {"personal": "Standard_D2s_v5", "pooled": "Standard_D4s_v5"}, "maxSessionsPerHost": {"pooled": 6}};
export const SESSION_MESSAGE_MAX_LENGTHS = {"title": 100, "message": 1000};
export const LOG_OFF_MAX_LENGTHS = {"message": 1024};
