// The local stack: everything a deployed stack has, on this machine.
//
//   moto's server (engine.py)   Step Functions (LocalStack's ASL engine), S3, DynamoDB,
//                               EventBridge (with a copy of every event in an SQS queue)
//   lambda-router.mjs           $MOTO_PORT: Lambda Invoke -> the functions, the rest -> moto
//   functions.mjs               the real function binaries (the debug build), several
//                               instances each, under cargo lambda's emulator
//   quicksight-sim              QuickSight's snapshot API, writing real files to moto's S3
//
// The state machine is the real definition (statemachine/), created through
// the Step Functions API with each ${XFunctionArn} replaced by a Lambda ARN
// named after the binary, as SAM's DefinitionSubstitutions would. Used by
// the local run (scripts/run-local) and the state machine tests.
//
// Needs the debug build of the workspace (`cargo build --workspace
// --all-targets`; the stack compiles nothing) and the Python venv from
// scripts/setup (moto, cargo-lambda). Every wait has its own deadline and
// names what it waited for and its log.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLambdaRouter } from './lambda-router.mjs';
import { startFunctions, functionNames } from './functions.mjs';
import { ROOT, binaryPath, firstLine, freePort, startProcess, waitForHttp } from './processes.mjs';

export { ROOT, freePort, functionNames };
export const DEFINITION_PATH = join(ROOT, 'statemachine', 'export-dashboard.asl.json');
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';
export const STATE_MACHINE_NAME = 'export-dashboard';
/** How long one call to moto may take before the stack says it hung. */
const CALL_DEADLINE_MS = 60000;

export function stateMachineArnFor(name) {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
}

/** The `${Name}` placeholders of the definition, in order of appearance. */
export function placeholders(text) {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))];
}

/** `StartJobFunctionArn` -> `start-job`: the binary behind a substitution. */
export function binaryFor(substitution) {
  const base = substitution.replace(/FunctionArn$/, '');
  return base.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * The definition's text with every substitution made: `${XFunctionArn}`
 * by the ARN of a function named after its binary, `${ExportBucketName}`
 * by the local bucket, `${Partition}` by `aws`.
 */
export function definitionText({ bucket }) {
  let text = readFileSync(DEFINITION_PATH, 'utf8');
  for (const name of placeholders(text)) {
    let value;
    if (name.endsWith('FunctionArn')) value = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${binaryFor(name)}`;
    else if (name === 'ExportBucketName') value = bucket;
    else if (name === 'Partition') value = 'aws';
    else throw new Error(`the definition uses \${${name}}, which the local stack does not substitute`);
    text = text.replaceAll('${' + name + '}', value);
  }
  return text;
}

/** A call to moto within CALL_DEADLINE_MS, failing with what it was. */
function motoFetch(url, init, what) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(CALL_DEADLINE_MS) }).catch((error) => {
    const why = error.name === 'TimeoutError' ? `no answer within ${CALL_DEADLINE_MS / 1000} s` : (error.cause?.message ?? error.message);
    throw new Error(`${what} at ${url}: ${why} (the engine's log: engine.log in the stack's log folder)`);
  });
}

// moto checks no signature, but reads the region and service from the
// credential scope, and treats unsigned S3 calls as anonymous.
function authorization(service) {
  return `AWS4-HMAC-SHA256 Credential=local/20260101/${LOCAL_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** A Step Functions API client (JSON protocol) on `endpoint`. */
export function stepFunctionsClient(endpoint) {
  return async function call(action, body = {}) {
    const response = await motoFetch(
      endpoint,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `AWSStepFunctions.${action}`,
          authorization: authorization('states'),
        },
        body: JSON.stringify(body),
      },
      `Step Functions ${action}`,
    );
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = new Error(`${action}: ${response.status} ${parsed.__type ?? ''} ${parsed.message ?? text}`);
      error.code = parsed.__type;
      throw error;
    }
    return parsed;
  };
}

/** A DynamoDB client (JSON protocol) on `endpoint`. */
export function dynamoDbClient(endpoint) {
  return async function call(action, body = {}) {
    const response = await motoFetch(
      endpoint,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${action}`,
          authorization: authorization('dynamodb'),
        },
        body: JSON.stringify(body),
      },
      `DynamoDB ${action}`,
    );
    const parsed = await response.json();
    if (!response.ok) throw new Error(`DynamoDB ${action}: ${response.status} ${parsed.__type ?? ''} ${parsed.message ?? ''}`);
    return parsed;
  };
}

/** A JSON-protocol client for `service` (`AmazonSQS`, `AWSEvents`) on moto. */
function jsonClient(endpoint, targetPrefix, signingName, contentType = 'application/x-amz-json-1.1') {
  return async function call(action, body = {}) {
    const response = await motoFetch(
      endpoint,
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-amz-target': `${targetPrefix}.${action}`, authorization: authorization(signingName) },
        body: JSON.stringify(body),
      },
      `${targetPrefix} ${action}`,
    );
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : {};
    if (!response.ok) throw new Error(`${targetPrefix} ${action}: ${response.status} ${text}`);
    return parsed;
  };
}

/**
 * The stack's event bus, with a rule that copies every event of the
 * export's source to an SQS queue, so runs and tests can read what was
 * published (on AWS the owner subscribes whatever they like).
 */
async function createEventBus(endpoint, bus) {
  const events = jsonClient(endpoint, 'AWSEvents', 'events');
  const sqs = jsonClient(endpoint, 'AmazonSQS', 'sqs', 'application/x-amz-json-1.0');
  await events('CreateEventBus', { Name: bus });
  const { QueueUrl } = await sqs('CreateQueue', { QueueName: `${bus}-copy` });
  const { Attributes } = await sqs('GetQueueAttributes', { QueueUrl, AttributeNames: ['QueueArn'] });
  await events('PutRule', { Name: 'copy-exports', EventBusName: bus, EventPattern: JSON.stringify({ source: ['quicksight-export'] }) });
  await events('PutTargets', { Rule: 'copy-exports', EventBusName: bus, Targets: [{ Id: 'queue', Arn: Attributes.QueueArn }] });
  const seen = [];
  return {
    /** Every event published so far, in the order the queue gives them. */
    async published() {
      for (;;) {
        const { Messages = [] } = await sqs('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
        if (Messages.length === 0) return seen;
        for (const m of Messages) {
          seen.push(JSON.parse(m.Body));
          await sqs('DeleteMessage', { QueueUrl, ReceiptHandle: m.ReceiptHandle });
        }
      }
    },
  };
}

/** The coordination table's slot state: live leases and waiters. */
export async function slotState(stack, kind = 'snapshot') {
  const { Item } = await stack.dynamodb('GetItem', {
    TableName: stack.coordinationTable,
    Key: { pk: { S: `slots#${kind}` }, sk: { S: 'leases' } },
    ConsistentRead: true,
  });
  const leases = Object.entries(Item?.leases?.M ?? {}).map(([holder, v]) => ({
    holder,
    run: v.M.run.S,
    grantedAtMs: Number(v.M.granted.N),
    expiresAtMs: Number(v.M.expires.N),
  }));
  const { Items } = await stack.dynamodb('Query', {
    TableName: stack.coordinationTable,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': { S: `waiters#${kind}` } },
    ConsistentRead: true,
  });
  return { leases, waiters: Items.map((i) => ({ holder: i.sk.S, run: i.run.S, sinceMs: Number(i.since.N) })) };
}

/** S3 calls on moto, path-style. */
export function s3Client(endpoint) {
  const url = (bucket, key = '') => `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const headers = (extra = {}) => ({ authorization: authorization('s3'), ...extra });
  return {
    endpoint,
    async createBucket(bucket) {
      const response = await motoFetch(`${endpoint}/${bucket}`, { method: 'PUT', headers: headers() }, `S3 CreateBucket ${bucket}`);
      if (!response.ok) throw new Error(`could not create bucket ${bucket}: ${response.status}`);
    },
    async put(bucket, key, body) {
      const response = await motoFetch(url(bucket, key), { method: 'PUT', headers: headers(), body }, `S3 PUT s3://${bucket}/${key}`);
      if (!response.ok) throw new Error(`PUT s3://${bucket}/${key}: ${response.status}`);
    },
    async get(bucket, key) {
      const response = await motoFetch(url(bucket, key), { headers: headers() }, `S3 GET s3://${bucket}/${key}`);
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
        const xml = await (await motoFetch(u, { headers: headers() }, `S3 ListObjectsV2 s3://${bucket}/${prefix}`)).text();
        keys.push(...[...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => decodeXml(m[1])));
        token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(xml)?.[1] ?? null;
      } while (token);
      return keys;
    },
  };
}

function decodeXml(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** `s3://bucket/key` -> { bucket, key }. */
export function parseS3Uri(uri) {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/**
 * moto's server with execution on (engine.py). Its engine calls every
 * service at http://localhost:`routerPort`.
 */
async function startEngine({ logDir, routerPort, childHistoryDir }) {
  const port = await freePort();
  const proc = startProcess('python', [join(ROOT, 'tools', 'local-stack', 'engine.py'), '-H', '127.0.0.1', '-p', String(port)], {
    logDir,
    name: 'engine',
    env: { MOTO_PORT: String(routerPort), LOCAL_ENGINE_CHILD_HISTORY_DIR: childHistoryDir },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/moto-api/`, 'the local engine (moto)', { timeoutMs: 60000, logPath: proc.logPath });
  return { ...proc, endpoint };
}

/** quicksight-sim on a free port; `flags` are its command-line flags. */
async function startQuickSight({ logDir, flags = [], s3Endpoint }) {
  const args = ['--addr', '127.0.0.1:0', ...flags, '--s3-endpoint', s3Endpoint];
  const proc = startProcess(binaryPath('quicksight-sim'), args, { logDir, name: 'quicksight-sim' });
  const line = await firstLine(proc, 'quicksight-sim');
  const match = /^listening on (http:\/\/\S+)$/.exec(line);
  if (!match) throw new Error(`unexpected first line from quicksight-sim: ${line} (see ${proc.logPath})`);
  const endpoint = match[1];
  return {
    ...proc,
    endpoint,
    async stats() {
      const response = await fetch(`${endpoint}/_sim/stats`, { signal: AbortSignal.timeout(10000) }).catch((error) => {
        throw new Error(`quicksight-sim's stats at ${endpoint}: ${error.message} (see ${proc.logPath})`);
      });
      return response.json();
    },
  };
}

/**
 * Starts the whole stack and creates the bucket and the state machine.
 * `settings` are the functions' environment (the SAM parameters).
 * `stop()` ends every process.
 */
export async function startStack({ logDir, bucket, simFlags = [], settings = {}, concurrency = 4 }) {
  const coordinationTable = 'export-coordination';
  const eventBus = 'export-events';
  const stopped = [];
  const invocations = [];
  const began = Date.now();
  // A fresh stack leaves nothing of an earlier one in its folder.
  rmSync(logDir, { recursive: true, force: true });
  try {
    const routerPort = await freePort();
    const childHistoryDir = join(logDir, 'child-histories');
    const engine = await startEngine({ logDir, routerPort, childHistoryDir });
    stopped.push(engine);
    const quicksight = await startQuickSight({ logDir, flags: simFlags, s3Endpoint: engine.endpoint });
    stopped.push(quicksight);
    const functionEnv = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      QUICKSIGHT_ENDPOINT_URL: quicksight.endpoint,
      S3_ENDPOINT_URL: engine.endpoint,
      // The SDK's standard per-service endpoints: DynamoDB and Step
      // Functions (the callbacks) are moto's too.
      AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
      AWS_ENDPOINT_URL_SFN: engine.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: engine.endpoint,
      EVENT_BUS_NAME: eventBus,
      EXPORT_BUCKET: bucket,
      COORDINATION_TABLE: coordinationTable,
      // The API's: the state machine created below, by its name.
      STATE_MACHINE_ARN: stateMachineArnFor(STATE_MACHINE_NAME),
      LINK_EXPIRY_SECONDS: '900',
      ...settings,
    };
    const functions = await startFunctions({ logDir, concurrency, env: { ...functionEnv, RUST_LOG: 'info' } });
    stopped.push(functions);
    const router = await startLambdaRouter({
      port: routerPort,
      functionsBase: functions.base,
      motoBase: engine.endpoint,
      onInvoke: (invocation) => invocations.push(invocation),
    });
    stopped.push(router);

    const s3 = s3Client(engine.endpoint);
    await s3.createBucket(bucket);
    const events = await createEventBus(engine.endpoint, eventBus);
    const dynamodb = dynamoDbClient(engine.endpoint);
    // The template's CoordinationTable: keys pk and sk, on demand.
    await dynamodb('CreateTable', {
      TableName: coordinationTable,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    });
    const sfn = stepFunctionsClient(engine.endpoint);
    const { stateMachineArn } = await sfn('CreateStateMachine', {
      name: STATE_MACHINE_NAME,
      definition: definitionText({ bucket }),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/export-dashboard-state-machine`,
      type: 'STANDARD',
    });
    return {
      /** How long the start took, ms (the build is not part of it). */
      startMs: Date.now() - began,
      /** Where every process of the stack logs. */
      logDir,
      /** Instances of each function. */
      concurrency,
      bucket,
      engine,
      router,
      quicksight,
      functions,
      s3,
      sfn,
      dynamodb,
      coordinationTable,
      events,
      stateMachineArn,
      childHistoryDir,
      /** The functions' environment (what the template sets, locally). */
      functionEnv,
      /** Every Lambda invocation the engine made, in order. */
      invocations,
      async stop() {
        for (const p of stopped.reverse()) await p.stop();
      },
    };
  } catch (error) {
    for (const p of stopped.reverse()) await p.stop();
    throw error;
  }
}
