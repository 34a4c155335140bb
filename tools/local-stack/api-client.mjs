// Calls the API the way a system calling a deployed stack does: HTTPS
// requests signed with SigV4 for execute-api, here by curl's --aws-sigv4
// (docs/api.md, "Calling the API", shows the same command against AWS). Locally
// the API is the `api` function's URL on cargo lambda's emulator; nothing checks
// the signature there, as API Gateway's IAM auth does on AWS.
//
// Not the AWS SDK for JavaScript (aws-clients.mjs): the SDK has no client for
// a stack's own REST API, and curl --aws-sigv4 is the call docs/api.md gives a
// caller, so the tests make that same call.

import { spawn } from 'node:child_process';
import { LOCAL_REGION } from './definition.mjs';

/** curl with `input` on its standard input (a body of any size); its stdout. */
function curl(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`curl exited with ${code}: ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** The local API's base URL: the `api` function's URL on the emulator. */
export function apiBase(stack) {
  return `${stack.functions.base}/lambda-url/api`;
}

/**
 * `method path` on the API, with a JSON body and extra headers; resolves to
 * `{ status, body }` (the body parsed as JSON).
 */
export async function callApi(stack, method, path, { body, headers = {} } = {}) {
  const args = [
    '--silent',
    '--show-error',
    // The function timeout (65 s) and a little more: curl has no deadline of its own.
    '--max-time',
    '70',
    '--aws-sigv4',
    `aws:amz:${LOCAL_REGION}:execute-api`,
    '--user',
    'local:local',
    '-X',
    method,
    '-H',
    'content-type: application/json',
    '--write-out',
    '\n%{http_code}',
  ];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  // The body through stdin: a request of megabytes does not fit a command line.
  if (body !== undefined) args.push('--data-binary', '@-');
  args.push(`${apiBase(stack)}${path}`);
  const stdout = await curl(args, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  const cut = stdout.lastIndexOf('\n');
  const status = Number(stdout.slice(cut + 1));
  const text = stdout.slice(0, cut);
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { raw: text };
  }
  return { status, body: parsed };
}
