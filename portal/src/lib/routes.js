// Hash routes: `#/tenants/:tenantId/cloudPCs?status=failed` -> the page's pattern, its parameters and query.

/** Compiles '/tenants/:tenantId/cloudPCs/:cloudPcId' into a matcher. */
export function compile(pattern) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  const regex = new RegExp(`^${source}/?$`);
  return (path) => {
    const found = regex.exec(path);
    if (!found) return null;
    return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1])]));
  };
}

/** Splits a location hash into its path and query. */
export function parseHash(hash) {
  const text = (hash || '').replace(/^#/, '') || '/';
  const [path, search = ''] = text.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(search)) };
}

/** The first route whose pattern matches `path`, with its parameters. */
export function match(routes, path) {
  for (const route of routes) {
    const params = route.matcher(path);
    if (params) return { route, params };
  }
  return null;
}

/** A hash link: href('/tenants/:tenantId', {tenantId}, {status: 'failed'}). */
export function href(pattern, params = {}, query = {}) {
  const path = pattern.replace(/:(\w+)/g, (_, name) => encodeURIComponent(params[name] ?? ''));
  const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== undefined && value !== null && value !== ''));
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}
