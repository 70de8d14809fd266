// Swagger UI on this API's own OpenAPI document; "Authorize" takes a bearer token (`make token` locally).
window.addEventListener('load', () => {
  window.SwaggerUIBundle({
    url: '../openapi.json',
    dom_id: '#swagger-ui',
    // an operation's summary is a button; deep links would put a link inside it, which keyboards and screen readers trip on
    deepLinking: false,
    persistAuthorization: false,
    tryItOutEnabled: false,
    // 156 operations and 255 schemas: drawn all at once they take seconds of a browser's main thread, so each
    // group opens when asked, and the schemas are read where an operation uses them
    docExpansion: 'none',
    defaultModelsExpandDepth: -1,
    filter: true,
  });
  // Swagger UI leaves its server chooser without a name; a screen reader would announce a bare "combo box"
  const root = document.getElementById('swagger-ui');
  const nameServers = () => {
    const servers = root.querySelector('select#servers:not([aria-label])');
    if (servers) servers.setAttribute('aria-label', 'Server');
  };
  new MutationObserver(nameServers).observe(root, { childList: true, subtree: true });
});
