// The organization's templates: the list (with how many tenants applied each and how many drift), one template, its
// versions, every tenant's application, the review and roll-out of a version, and a tenant's applied templates.
import { del, get, getAll, patch, post, tenantPath } from '../api.js';
import { change, resource } from './resource.js';

const path = (...parts) => ['templates', ...parts].map(encodeURIComponent).join('/');
const running = (rollout) => rollout?.status === 'running';

export const templateApplications = (id) => resource(path(id, 'applications'), getAll, { idleMs: 30_000 });

/** Each template with `appliedCount` and `driftCount`, from its applications. */
export const templateList = resource('templates', async () => {
  const templates = await getAll('templates');
  return Promise.all(templates.map(async (template) => {
    const applications = await getAll(path(template.id, 'applications'));
    return { ...template, appliedCount: applications.length, driftCount: applications.filter((one) => one.drift.length).length };
  }));
}, { idleMs: 30_000 });
export const template = (id) => resource(path(id), get);
export const templateVersion = (id, version) => resource(path(id, 'versions', String(version)), get);
export const templateRollout = (id, rolloutId) => resource(path(id, 'rollouts', rolloutId), get, { active: running, intervalMs: 2000 });

export const createTemplate = (body) => change(() => post('templates', body), templateList);
/** A change of fields or parameters is the template's next version; a 412 says someone else changed it first. */
export const updateTemplate = (found, body) => change(() => patch(path(found.id), body, found.etag), template(found.id), templateList);

/** The review: what applying `version` to each of `tenants` would do, saving nothing. */
export const reviewApply = (id, body) => post(path(id, 'apply'), body, { validateOnly: 'true' });
/** Starts a roll-out and answers it: its results come as it runs (`templateRollout` follows it). */
export const startRollout = (id, body) => post(path(id, 'apply'), body);
/** The roll-out's end changes every application it touched. */
export const rolloutDone = (id, tenantIds) => change(async () => {}, templateApplications(id), templateList,
  ...tenantIds.map((tenantId) => appliedTemplates(tenantId)));

export const appliedTemplates = (tenantId) => resource(tenantPath(tenantId, 'templates'), getAll, { idleMs: 30_000 });
const applied = (tenantId, id) => tenantPath(tenantId, 'templates', id);
export const keepOverride = (tenantId, id, body) => change(() => post(`${applied(tenantId, id)}/overrides`, body),
  appliedTemplates(tenantId), templateApplications(id), templateList);
export const removeOverride = (tenantId, id, name) => change(() => del(`${applied(tenantId, id)}/overrides/${encodeURIComponent(name)}`),
  appliedTemplates(tenantId), templateApplications(id), templateList);
