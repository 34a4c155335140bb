// The one endpoint the local engine calls for every service ($MOTO_PORT):
// Lambda Invoke goes to cargo lambda's emulator (`cargo lambda watch
// --only-lambda-apis`, whose queues the instances of the real function
// binaries serve: functions.mjs), everything else to moto's server, untouched.
//
// Two things differ between what moto's engine sends and what the emulator
// serves, and are mended here:
// - the engine invokes by ARN (`arn:aws:lambda:...:function:start-job`);
//   the emulator knows only the bare function name;
// - the emulator answers a function error with HTTP 500 and no header, where
//   Lambda answers 200 with `X-Amz-Function-Error: Unhandled` and the error
//   payload as the body. The engine reads the latter as a task failure
//   whose Error is the payload's errorType (what Retry and Catch match).
//
// Everything else is piped as it comes: bodies (chunked or aws-chunked S3
// uploads included) pass through byte for byte.

import { createServer, request as httpRequest, Agent } from 'node:http';
import { once } from 'node:events';

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations(?:\?.*)?$/;

/** `arn:aws:lambda:r:a:function:name[:qualifier]` or `name` -> `name`. */
export function functionName(pathPart) {
  const decoded = decodeURIComponent(pathPart);
  const match = /:function:([^:]+)/.exec(decoded);
  return match ? match[1] : decoded;
}

async function readBody(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Starts the router on `port` (127.0.0.1). `onInvoke` sees every
 * invocation: { name, payload, status, body, functionError, at (epoch ms), ms }.
 * An invocation unanswered after `timeoutOf(name)` seconds (the function's
 * timeout in the template) gets the answer Lambda gives a function that
 * timed out: the emulator never answers an invocation no instance took.
 */
export async function startLambdaRouter({ port, functionsBase, motoBase, timeoutOf = () => 65, onInvoke = () => {} }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const moto = new URL(motoBase);
  const functions = new URL(functionsBase);

  const invoke = async (req, res, name) => {
    const began = Date.now();
    const timeoutSeconds = timeoutOf(name);
    const payload = await readBody(req);
    const answer = await new Promise((resolve, reject) => {
      const forward = httpRequest(
        {
          host: functions.hostname,
          port: functions.port,
          method: 'POST',
          path: `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
          agent,
        },
        async (response) => resolve({ status: response.statusCode, body: await readBody(response) }),
      );
      forward.on('error', reject);
      forward.setTimeout(timeoutSeconds * 1000, () => {
        forward.destroy();
        resolve({
          status: 500,
          body: Buffer.from(JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeoutSeconds} seconds` })),
        });
      });
      forward.end(payload);
    }).catch((error) => ({
      status: 502,
      body: Buffer.from(JSON.stringify({ errorType: 'Lambda.ServiceException', errorMessage: error.message })),
    }));
    let status = answer.status;
    const headers = { 'content-type': 'application/json', 'x-amzn-requestid': `local-${began}` };
    let functionError = null;
    if (status === 500 || status === 502) {
      // A function error (or the emulator not answering), shaped as Lambda's.
      functionError = 'Unhandled';
      headers['x-amz-function-error'] = functionError;
      status = 200;
    } else if (status === 404) {
      headers['x-amzn-errortype'] = 'ResourceNotFoundException';
    }
    res.writeHead(status, headers);
    res.end(answer.body);
    onInvoke({ name, payload, status, body: answer.body, functionError, at: began, ms: Date.now() - began });
  };

  const proxy = (req, res) => {
    const forward = httpRequest(
      { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: req.headers, agent },
      (response) => {
        res.writeHead(response.statusCode, response.rawHeaders);
        response.pipe(res);
      },
    );
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`lambda-router: moto did not answer: ${error.message}`);
    });
    req.pipe(forward);
  };

  const server = createServer((req, res) => {
    const match = req.method === 'POST' ? INVOKE.exec(req.url) : null;
    if (match) {
      invoke(req, res, functionName(match[1])).catch((error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error.message);
      });
    } else {
      proxy(req, res);
    }
  });
  server.keepAliveTimeout = 60000;
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections?.();
      server.close();
      agent.destroy();
    },
  };
}
