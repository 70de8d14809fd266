// Maps the API's error shape to the form: each `details[].target` (or the error's own target) to its field.

/** `{fields: {target: message}, general: [message]}` from an ApiError (or any Error). */
export function errorsByField(error, knownFields = null) {
  const fields = {};
  const general = [];
  if (!error) return { fields, general };
  const details = error.details?.length ? error.details : [{ message: error.message, target: error.target }];
  for (const detail of details) {
    const target = normalise(detail.target);
    if (target && (!knownFields || knownFields.includes(target))) {
      const message = forField(detail.message, detail.target);
      fields[target] = fields[target] ? `${fields[target]} ${message}` : message;
    } else {
      general.push(detail.message);
    }
  }
  const repeated = details.some((detail) => detail.message === error.message);
  if (error.details?.length && error.message && !repeated && !general.includes(error.message)) general.unshift(error.message);
  return { fields, general };
}

/** Next to its field a message need not name the field: 'subscriptionId: must be a GUID' -> 'Must be a GUID'. */
function forField(message, target) {
  const text = target && message.startsWith(`${target}: `) ? message.slice(target.length + 2) : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `body.domainJoinConfigurations[0].regionName` and `domainJoinConfigurations/0/regionName` alike become
 * `domainJoinConfigurations.0.regionName`, the name a form gives its field. */
export function normalise(target) {
  if (!target) return null;
  return String(target)
    .replace(/^(body|\$)\.?/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\//g, '.')
    .replace(/^\./, '');
}
