// The app's HTTP API as the portal calls it: bearer token, JSON, the contract's error shape as an ApiError.
import { accessToken, renewSignIn } from './auth.js';

const BASE = new URL('../', location.href).pathname.replace(/\/$/, ''); // /api, wherever the portal is served

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `The API answered ${status}.`);
    this.status = status;
    this.code = error?.code || 'httpError';
    this.target = error?.target || null;
    this.details = error?.details || [];
  }
}

function url(path, query) {
  const found = new URL(`${BASE}/${path.replace(/^\//, '')}`, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') found.searchParams.set(name, String(value));
  }
  return found;
}

async function send(method, path, { body, query, headers, etag, accept = 'application/json' } = {}) {
  const token = accessToken();
  const response = await fetch(path.startsWith('http') ? path : url(path, query), {
    method,
    headers: {
      Accept: accept,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(etag ? { 'If-Match': etag } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) {
    await renewSignIn();
    throw new ApiError(401, { code: 'unauthenticated', message: 'Your sign-in ran out; signing in again.' });
  }
  if (!response.ok) throw new ApiError(response.status, safeJson(await response.text())?.error);
  return response;
}

/** `etag`: the version the change was made from (If-Match); a 412 means someone changed it in between. */
export async function request(method, path, options = {}) {
  const response = await send(method, path, options);
  const text = await response.text();
  return { status: response.status, body: text ? safeJson(text) : null, headers: response.headers };
}

/** A file the API answers (an export in `accept`'s type) as a Blob, read with the caller's token. */
export const getFile = async (path, query, accept) => (await send('GET', path, { query, accept })).blob();

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export const get = async (path, query) => (await request('GET', path, { query })).body;
export const post = async (path, body = {}, query) => (await request('POST', path, { body, query })).body;
export const patch = async (path, body, etag) => (await request('PATCH', path, { body, etag })).body;
export const del = async (path, etag, query) => (await request('DELETE', path, { etag, query })).body;
/** A list's first page of items (`value`). */
export const getValue = async (path, query) => (await get(path, query)).value;

/** Every item of a paged list, following nextLink (for small lists: sites, policies, groups of a tenant). */
export async function getAll(path, query) {
  const items = [];
  let page = await get(path, query);
  items.push(...page.value);
  while (page.nextLink) {
    page = (await request('GET', page.nextLink)).body;
    items.push(...page.value);
  }
  return items;
}

export const tenantPath = (tenantId, ...parts) => ['tenants', tenantId, ...parts].map(encodeURIComponent).join('/');
