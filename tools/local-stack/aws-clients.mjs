// The harness's own AWS calls to moto (creating the stack's resources,
// starting runs, reading what they wrote), signed with SigV4 by `aws4` as
// the identity the stack gives the harness: moto checks every signature and
// policy once the stack enables IAM (engine_iam.py). The functions call moto
// with the real SDKs, as their own roles.

import { createRequire } from 'node:module';

// The pinned Node packages live in tools/node (package.json, the lock).
const aws4 = createRequire(new URL('../node/package.json', import.meta.url))('aws4');

/** How long one call to moto may take before the stack says it hung. */
const CALL_DEADLINE_MS = 60000;

/**
 * `fetch` of `url`, signed for `service` with `credentials`
 * ({ AccessKeyId, SecretAccessKey, SessionToken? }) in `region`; fails
 * with `what` when moto does not answer in time.
 */
export function signedFetch(url, { method = 'GET', headers = {}, body }, { service, region, credentials }, what) {
  const target = new URL(url);
  const signed = aws4.sign(
    { host: target.host, path: `${target.pathname}${target.search}`, method, headers: { ...headers }, body, service, region },
    { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken },
  );
  // fetch sets these itself, to the same values.
  delete signed.headers.Host;
  delete signed.headers['Content-Length'];
  return fetch(url, { method, headers: signed.headers, body, signal: AbortSignal.timeout(CALL_DEADLINE_MS) }).catch((error) => {
    const why = error.name === 'TimeoutError' ? `no answer within ${CALL_DEADLINE_MS / 1000} s` : (error.cause?.message ?? error.message);
    throw new Error(`${what} at ${url}: ${why} (the engine's log: engine.log in the stack's log folder)`);
  });
}

/**
 * A client of a JSON-protocol service (`X-Amz-Target: <prefix>.<Action>`):
 * `call(action, body)` resolves to the parsed answer, or throws an error
 * whose `code` is the service's error type.
 */
export function jsonProtocolClient({ endpoint, targetPrefix, service, region, credentials, contentType = 'application/x-amz-json-1.0' }) {
  return async function call(action, body = {}) {
    const response = await signedFetch(
      endpoint,
      { method: 'POST', headers: { 'content-type': contentType, 'x-amz-target': `${targetPrefix}.${action}` }, body: JSON.stringify(body) },
      { service, region, credentials },
      `${targetPrefix} ${action}`,
    );
    const text = await response.text();
    let parsed = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text };
    }
    if (!response.ok) {
      const error = new Error(`${targetPrefix} ${action}: ${response.status} ${parsed.__type ?? ''} ${parsed.message ?? text}`);
      error.code = parsed.__type;
      throw error;
    }
    return parsed;
  };
}

function decodeXml(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** S3 calls on moto, path-style. */
export function s3Client({ endpoint, region, credentials }) {
  const url = (bucket, key = '') => `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const call = (target, init, what) => signedFetch(target, init, { service: 's3', region, credentials }, what);
  return {
    endpoint,
    async createBucket(bucket) {
      const response = await call(`${endpoint}/${bucket}`, { method: 'PUT' }, `S3 CreateBucket ${bucket}`);
      if (!response.ok) throw new Error(`could not create bucket ${bucket}: ${response.status} ${await response.text()}`);
    },
    async put(bucket, key, body) {
      // A content type of its own: aws4 would say form-urlencoded, which moto reads as a form.
      const headers = { 'content-type': 'application/octet-stream' };
      const response = await call(url(bucket, key), { method: 'PUT', headers, body }, `S3 PUT s3://${bucket}/${key}`);
      if (!response.ok) throw new Error(`PUT s3://${bucket}/${key}: ${response.status} ${await response.text()}`);
    },
    async get(bucket, key) {
      const response = await call(url(bucket, key), {}, `S3 GET s3://${bucket}/${key}`);
      if (!response.ok) throw new Error(`GET s3://${bucket}/${key}: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
    async getJson(bucket, key) {
      return JSON.parse((await this.get(bucket, key)).toString());
    },
    async list(bucket, prefix) {
      const keys = [];
      let token = null;
      do {
        const u = new URL(`${endpoint}/${bucket}`);
        u.searchParams.set('list-type', '2');
        u.searchParams.set('prefix', prefix);
        if (token) u.searchParams.set('continuation-token', token);
        const response = await call(u.toString(), {}, `S3 ListObjectsV2 s3://${bucket}/${prefix}`);
        const xml = await response.text();
        if (!response.ok) throw new Error(`ListObjectsV2 s3://${bucket}/${prefix}: ${response.status} ${xml}`);
        keys.push(...[...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => decodeXml(m[1])));
        token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(xml)?.[1] ?? null;
      } while (token);
      return keys;
    },
  };
}
