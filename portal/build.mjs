// Builds the admin portal into portal/dist: one hashed, minified bundle, its stylesheet, and Swagger UI for /api/docs.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const swagger = join(here, '..', 'node_modules', 'swagger-ui-dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const bundled = await build({
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  // a source map is for development (PORTAL_SOURCE_MAP=1 node portal/build.mjs): the served portal ships none,
  // so its source is not handed to anyone who asks
  sourcemap: process.env.PORTAL_SOURCE_MAP === '1' ? 'linked' : false,
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const hashed = (name, text) => {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 10).toUpperCase();
  return name.replace(/(\.\w+)$/, `-${hash}$1`);
};
const styles = readFileSync(join(here, 'styles.css'), 'utf8');
const stylesName = hashed('styles.css', styles);
writeFileSync(join(dist, 'assets', stylesName), styles);

const script = Object.keys(bundled.metafile.outputs).find((path) => path.endsWith('.js'));
const scriptName = script.split('/').pop();
const page = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%STYLES%', `assets/${stylesName}`)
  .replace('%SCRIPT%', `assets/${scriptName}`);
writeFileSync(join(dist, 'index.html'), page);

// Swagger UI reads /api/openapi.json; "Try it out" takes a bearer token (make token)
const docs = join(dist, 'docs');
mkdirSync(docs);
for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']) copyFileSync(join(swagger, file), join(docs, file));
copyFileSync(join(here, 'docs', 'index.html'), join(docs, 'index.html'));
for (const file of ['docs.js', 'docs.css']) copyFileSync(join(here, 'docs', file), join(docs, file));

// precompressed copies: the app serves them to browsers that take gzip
let shipped = 0;
for (const file of [join('assets', scriptName), join('assets', stylesName), 'index.html', join('docs', 'swagger-ui-bundle.js'), join('docs', 'swagger-ui.css')]) {
  const packed = gzipSync(readFileSync(join(dist, file)), { level: 9 });
  writeFileSync(join(dist, `${file}.gz`), packed);
  if (!file.startsWith('docs')) shipped += packed.length;
}
console.log(`portal: built ${scriptName} and ${stylesName}; ${(shipped / 1024).toFixed(1)} KB gzipped`);
