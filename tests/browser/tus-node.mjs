// tus-js-client in Node against Ferry: parallel uploads (tus concatenation) and a
// stream of unknown size (creation-defer-length).
//
//   node tus-node.mjs FERRY_BASE_URL
//
// 1. `parallelUploads: 3`: a 7 MiB + 123 byte buffer goes up as three partial uploads
//    in 1 MiB PATCHes, then one final upload; its 201 carries `X-Share-Url`.
// 2. `uploadLengthDeferred: true`: a Node stream of odd-sized pieces, its length told
//    only on the last PATCH.
// Each file is fetched back from its share URL and its SHA-256 compared with what was
// sent; the partial uploads must be gone (HEAD 404) once the final one exists. Prints
// one JSON line per case; exits non-zero on any failure.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';

const [ferry] = process.argv.slice(2);
if (!ferry) {
  console.error('usage: node tus-node.mjs FERRY_BASE_URL');
  process.exit(2);
}
const endpoint = `${ferry}/files/`;
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

const upload = (source, options) => new Promise((resolve, reject) => {
  const u = new tus.Upload(source, {
    endpoint,
    chunkSize: 1024 * 1024,
    retryDelays: [100, 500, 1000],
    ...options,
    onSuccess: ({ lastResponse }) => resolve({ u, shareUrl: lastResponse.getHeader('X-Share-Url') }),
    onError: reject,
  });
  u.start();
});

const fetchBack = async (shareUrl) => {
  if (!shareUrl) throw new Error('no X-Share-Url on the last response');
  const response = await fetch(shareUrl);
  if (!response.ok) throw new Error(`GET ${shareUrl}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
};

const results = [];
try {
  // 1. Parallel uploads.
  const bytes = randomBytes(7 * 1024 * 1024 + 123);
  const { u, shareUrl } = await upload(bytes, {
    parallelUploads: 3,
    metadata: { filename: 'parallel.bin', filetype: 'application/octet-stream' },
  });
  const back = await fetchBack(shareUrl);
  const partials = u._parallelUploadUrls;
  if (!Array.isArray(partials) || partials.length !== 3) {
    throw new Error(`expected 3 partial uploads, got ${JSON.stringify(partials)}`);
  }
  const partialStatus = await Promise.all(partials.map(async (url) => (
    await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })).status));
  const final = await fetch(u.url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
  results.push({
    case: 'parallel',
    sent: sha(bytes),
    received: sha(back),
    size: back.length,
    shareUrl,
    partialStatus,
    finalConcat: final.headers.get('upload-concat'),
    finalOffset: final.headers.get('upload-offset'),
  });
  if (sha(bytes) !== sha(back)) throw new Error('parallel upload: the bytes differ');
  if (partialStatus.some((s) => s !== 404)) throw new Error(`partial uploads left: ${partialStatus}`);

  // 2. A stream of unknown size.
  const pieces = [];
  for (let i = 0; i < 40; i++) pieces.push(randomBytes(65536 + i * 997));
  const streamed = Buffer.concat(pieces);
  const deferred = await upload(Readable.from(pieces), {
    uploadLengthDeferred: true,
    metadata: { filename: 'stream.bin' },
  });
  const streamedBack = await fetchBack(deferred.shareUrl);
  results.push({
    case: 'deferred',
    sent: sha(streamed),
    received: sha(streamedBack),
    size: streamedBack.length,
    shareUrl: deferred.shareUrl,
  });
  if (sha(streamed) !== sha(streamedBack)) throw new Error('deferred upload: the bytes differ');
} catch (error) {
  results.forEach((r) => console.log(JSON.stringify(r)));
  console.error(`FAILED: ${error.stack || error}`);
  process.exit(1);
}
results.forEach((r) => console.log(JSON.stringify(r)));
