// tus-js-client embedded in a page on another origin, in a real Chromium (Debian's).
//
//   node cors.mjs FERRY_BASE_URL ALLOWED_PORT OTHER_PORT
//
// Serves one page (and tus-js-client's browser build) on http://localhost:ALLOWED_PORT
// and on http://localhost:OTHER_PORT — two origins, neither of them Ferry's. Ferry is
// expected to allow the first (CORS_ALLOWED_ORIGINS) and not the second. From the
// allowed page: a 3 MiB upload in 1 MiB PATCHes, its share URL read from the exposed
// `X-Share-Url`, the file fetched back and its SHA-256 compared with what was sent.
// From the other page the same upload must fail (the browser withholds Ferry's
// answers). Prints one JSON line of what happened; exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [ferry, allowedPort, otherPort] = process.argv.slice(2);
if (!ferry || !allowedPort || !otherPort) {
  console.error('usage: node cors.mjs FERRY_BASE_URL ALLOWED_PORT OTHER_PORT');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const tusBundle = readFileSync(require.resolve('tus-js-client/dist/tus.min.js'));
const page = '<!doctype html><meta charset="utf-8"><title>embedding page</title><script src="/tus.js"></script>';
const serve = (port) => new Promise((resolve) => {
  const server = createServer((req, res) => {
    if (req.url === '/tus.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(tusBundle);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    }
  });
  server.listen(Number(port), '127.0.0.1', () => resolve(server));
});
const servers = [await serve(allowedPort), await serve(otherPort)];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const finish = async (code, message) => {
  if (message) console.error(message);
  await browser.close();
  servers.forEach((s) => s.close());
  process.exit(code);
};

// Runs in the embedding page: upload, read the share URL, download, compare digests.
const uploadAndFetch = async (endpoint) => {
  const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const bytes = new Uint8Array(3 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  const sent = hex(await crypto.subtle.digest('SHA-256', bytes));
  try {
    const shareUrl = await new Promise((resolve, reject) => {
      const upload = new tus.Upload(new Blob([bytes]), {
        endpoint,
        chunkSize: 1024 * 1024,
        retryDelays: [],
        metadata: { filename: 'from-another-origin.bin', filetype: 'application/octet-stream' },
        onError: reject,
        onSuccess: ({ lastResponse }) => resolve(lastResponse.getHeader('X-Share-Url')),
      });
      upload.start();
    });
    if (!shareUrl) return { ok: false, step: 'share url', error: 'X-Share-Url not readable' };
    const response = await fetch(shareUrl);
    const got = hex(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
    return { ok: response.ok && got === sent, step: 'download', status: response.status, sent, got, shareUrl };
  } catch (error) {
    return { ok: false, step: 'upload', error: String(error) };
  }
};

try {
  const context = await browser.newContext();
  const allowed = await context.newPage();
  await allowed.goto(`http://localhost:${allowedPort}/`);
  const fromAllowed = await allowed.evaluate(uploadAndFetch, `${ferry}/files/`);
  const other = await context.newPage();
  await other.goto(`http://localhost:${otherPort}/`);
  const fromOther = await other.evaluate(uploadAndFetch, `${ferry}/files/`);
  console.log(JSON.stringify({ fromAllowed, fromOther }));
  if (!fromAllowed.ok) await finish(1, 'FAILED: the allowed origin could not upload and download: ' + JSON.stringify(fromAllowed));
  if (fromOther.ok || fromOther.step !== 'upload') await finish(1, 'FAILED: an origin not on the list got through: ' + JSON.stringify(fromOther));
  await finish(0);
} catch (error) {
  await finish(1, 'FAILED: ' + (error.stack || error));
}
