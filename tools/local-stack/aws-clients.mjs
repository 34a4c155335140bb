// The harness's own AWS calls (creating the stack's resources, starting
// runs, reading what they wrote, invoking a function as `aws lambda invoke`
// does), through the AWS SDK for JavaScript v3 as the identity the stack
// gives the harness: moto checks every signature and policy once the stack
// enables IAM (engine_iam.py), so the SDK signs each call for real. The
// functions call moto with the Rust SDK, as their own roles.
//
// Each service is a call function, `call(Action, input)`, that sends the
// SDK's `<Action>Command` and resolves to its output without `$metadata`:
// the tests and the runner name the API's actions as the AWS docs do
// (`stack.sfn('DescribeExecution', { executionArn })`). S3 is a few verbs
// over whole objects instead (`stack.s3.get/put/list`). Every call has a
// deadline, and an error names the call, where it went and its log.

import { createRequire } from 'node:module';

// The pinned Node packages live in tools/node (package.json, the lock).
const require = createRequire(new URL('../node/package.json', import.meta.url));
const sdk = {
  s3: require('@aws-sdk/client-s3'),
  sfn: require('@aws-sdk/client-sfn'),
  dynamodb: require('@aws-sdk/client-dynamodb'),
  sqs: require('@aws-sdk/client-sqs'),
  events: require('@aws-sdk/client-eventbridge'),
  lambda: require('@aws-sdk/client-lambda'),
};

/** How long one call to moto may take before the stack says it hung. */
export const CALL_DEADLINE_MS = 60000;
const ENGINE_LOG = "the engine's log: engine.log in the stack's log folder";

/**
 * A client of `Client` (an SDK client class) for the engine at `endpoint`,
 * as `credentials` in `region`; `extra` adds settings (S3's path style).
 */
function newClient(Client, { endpoint, region, credentials }, extra = {}) {
  const client = new Client({
    endpoint,
    region,
    credentials: {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    },
    // One request per call, as before the SDK: a call moto refuses or drops
    // fails at once and says so, and an Invoke never runs a function twice.
    maxAttempts: 1,
    ...extra,
  });
  // Hand-written, for moto: it refuses a key or a signature in XML
  // (<ErrorResponse><Error><Code>...) whatever the service's protocol, an
  // answer the client of a JSON service fails to parse, and the SDK's error
  // then keeps no text of it. Every refusal's body is read into bytes here,
  // under the SDK's deserializer (which reads bytes as well as a stream),
  // so that callError can quote it.
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const { response } = result;
      if (response?.statusCode >= 400 && typeof response.body?.[Symbol.asyncIterator] === 'function') {
        const chunks = [];
        for await (const chunk of response.body) chunks.push(chunk);
        response.body = Buffer.concat(chunks);
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'localStackKeepRefusal' },
  );
  return client;
}

/**
 * The error of a call `what` to `endpoint` that failed: the service's
 * answer (`code` is its error name, `status` the HTTP status), no answer
 * before the deadline, or no connection; `log` is where to look.
 */
function callError(error, { what, endpoint, signal, deadlineMs, log }) {
  if (signal.aborted) {
    return new Error(`${what} at ${endpoint}: no answer within ${deadlineMs / 1000} s (${log})`, { cause: error });
  }
  const status = error.$metadata?.httpStatusCode;
  if (error.$fault) {
    const failure = new Error(`${what}: ${status} ${error.name} ${error.message}`, { cause: error });
    failure.code = error.name;
    failure.status = status;
    return failure;
  }
  if (status) {
    // An answer the SDK could not read (moto's XML refusal to a JSON
    // service, kept by newClient): its text and code.
    const body = error.$response?.body;
    const text = body instanceof Uint8Array ? Buffer.from(body).toString() : '';
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
    const failure = new Error(`${what}: ${status} ${code ?? ''} ${text.slice(0, 1000) || error.message}`, { cause: error });
    failure.code = code;
    failure.status = status;
    return failure;
  }
  // No answer at all (the engine is gone, or never listened).
  return new Error(`${what} at ${endpoint}: ${error.cause?.message ?? error.message} (${log})`, { cause: error });
}

/**
 * Sends `command` with `client`; `read(output)` (the body of a GetObject)
 * runs under the same deadline. Resolves to the output without `$metadata`.
 */
async function send(client, command, { what, endpoint, deadlineMs = CALL_DEADLINE_MS, log = ENGINE_LOG, read }) {
  const signal = AbortSignal.timeout(deadlineMs);
  try {
    const { $metadata, ...output } = await client.send(command, { abortSignal: signal });
    return read ? await read(output) : output;
  } catch (error) {
    throw callError(error, { what, endpoint, signal, deadlineMs, log });
  }
}

/**
 * `call(action, input)` on the service of `module` (an @aws-sdk/client-*
 * package, its client class `clientName`): `new module[`${action}Command`](input)`.
 */
function actionClient(module, clientName, label, options) {
  const client = newClient(module[clientName], options);
  const call = (action, input = {}) => {
    const Command = module[`${action}Command`];
    if (!Command) return Promise.reject(new Error(`${label} has no action ${action} in ${clientName}`));
    return send(client, new Command(input), { what: `${label} ${action}`, endpoint: options.endpoint });
  };
  call.destroy = () => client.destroy();
  return call;
}

export const sfnClient = (options) => actionClient(sdk.sfn, 'SFNClient', 'Step Functions', options);
export const dynamodbClient = (options) => actionClient(sdk.dynamodb, 'DynamoDBClient', 'DynamoDB', options);
export const sqsClient = (options) => actionClient(sdk.sqs, 'SQSClient', 'SQS', options);
export const eventsClient = (options) => actionClient(sdk.events, 'EventBridgeClient', 'EventBridge', options);

/** `s3://bucket/key` -> { bucket, key }. */
export function parseS3Uri(uri) {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/** S3 calls on moto, path-style, on whole objects. */
export function s3Client(options) {
  const client = newClient(sdk.s3.S3Client, options, { forcePathStyle: true });
  const call = (command, input, what, read) => send(client, new sdk.s3[command](input), { what, endpoint: options.endpoint, read });
  return {
    endpoint: options.endpoint,
    async createBucket(bucket) {
      await call('CreateBucketCommand', { Bucket: bucket }, `S3 CreateBucket ${bucket}`);
    },
    async put(bucket, key, body) {
      // The type of any bytes, said outright though it is the SDK's default
      // too: moto reads a body typed form-urlencoded (what aws4 sent when
      // the harness signed by hand) as a form, not as the object.
      const input = { Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' };
      await call('PutObjectCommand', input, `S3 PutObject s3://${bucket}/${key}`);
    },
    async get(bucket, key) {
      const read = async ({ Body }) => Buffer.from(await Body.transformToByteArray());
      return call('GetObjectCommand', { Bucket: bucket, Key: key }, `S3 GetObject s3://${bucket}/${key}`, read);
    },
    async getJson(bucket, key) {
      return JSON.parse((await this.get(bucket, key)).toString());
    },
    /** Every key under `prefix`, in S3's order. */
    async list(bucket, prefix) {
      const keys = [];
      let ContinuationToken;
      do {
        const page = await call('ListObjectsV2Command', { Bucket: bucket, Prefix: prefix, ContinuationToken }, `S3 ListObjectsV2 s3://${bucket}/${prefix}`);
        keys.push(...(page.Contents ?? []).map((object) => object.Key));
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken);
      return keys;
    },
    destroy: () => client.destroy(),
  };
}

/**
 * Lambda Invoke through the router (lambda-router.mjs), as `aws lambda
 * invoke` does: `invoke(name, payload, { deadlineMs, log })` resolves to
 * `{ functionError, body }`, the function's answer parsed as JSON and
 * Lambda's `X-Amz-Function-Error` (null when the function succeeded).
 */
export function lambdaClient(options) {
  const client = newClient(sdk.lambda.LambdaClient, options);
  return {
    async invoke(name, payload, { deadlineMs, log }) {
      const command = new sdk.lambda.InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) });
      const output = await send(client, command, { what: `invoking ${name} (Lambda Invoke)`, endpoint: options.endpoint, deadlineMs, log });
      return { functionError: output.FunctionError ?? null, body: JSON.parse(Buffer.from(output.Payload ?? []).toString() || 'null') };
    },
    destroy: () => client.destroy(),
  };
}

/**
 * The harness's clients, as one identity (`credentials`) in `region`:
 * S3, Step Functions, DynamoDB, SQS and EventBridge on the engine at
 * `endpoint`, Lambda on the router at `lambdaEndpoint`.
 */
export function harnessClients({ endpoint, lambdaEndpoint, region, credentials }) {
  const on = { endpoint, region, credentials };
  const clients = {
    s3: s3Client(on),
    sfn: sfnClient(on),
    dynamodb: dynamodbClient(on),
    sqs: sqsClient(on),
    events: eventsClient(on),
    lambda: lambdaClient({ ...on, endpoint: lambdaEndpoint }),
  };
  return {
    ...clients,
    /** Closes every client's connections. */
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
