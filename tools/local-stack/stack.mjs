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

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLambdaRouter } from './lambda-router.mjs';
import { startFunctions, functionNames } from './functions.mjs';
import { ROOT, binaryPath, firstLine, freePort, startProcess, waitForHttp } from './processes.mjs';
import { jsonProtocolClient, s3Client } from './aws-clients.mjs';
import { setUpIam, enableIam, writeSimPolicies, writeEngineCredentials, credentialsEnv } from './iam.mjs';

export { ROOT, freePort, functionNames };
export const DEFINITION_PATH = join(ROOT, 'statemachine', 'export-dashboard.asl.json');
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

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

/**
 * The stack's event bus, with a rule that copies every event of the
 * export's source to an SQS queue, so runs and tests can read what was
 * published (on AWS the owner subscribes whatever they like).
 */
async function createEventBus(endpoint, bus, credentials, { copy = true } = {}) {
  const events = jsonProtocolClient({ endpoint, targetPrefix: 'AWSEvents', service: 'events', region: LOCAL_REGION, credentials, contentType: 'application/x-amz-json-1.1' });
  const sqs = jsonProtocolClient({ endpoint, targetPrefix: 'AmazonSQS', service: 'sqs', region: LOCAL_REGION, credentials });
  await events('CreateEventBus', { Name: bus });
  if (!copy) {
    return {
      async published() {
        throw new Error('this stack copies no event (startStack({ copyEvents: false }))');
      },
    };
  }
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
  // moto writes an item field by field: a waiter read halfway through its
  // first write is left out, as the semaphore itself leaves it.
  const whole = Items.filter((i) => i.sk?.S && i.run?.S && i.since?.N);
  return { leases, waiters: whole.map((i) => ({ holder: i.sk.S, run: i.run.S, sinceMs: Number(i.since.N) })) };
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
async function startEngine({ logDir, routerPort, childHistoryDir, credentialsFile }) {
  const port = await freePort();
  const proc = startProcess('python', [join(ROOT, 'tools', 'local-stack', 'engine.py'), '-H', '127.0.0.1', '-p', String(port)], {
    logDir,
    name: 'engine',
    env: { MOTO_PORT: String(routerPort), LOCAL_ENGINE_CHILD_HISTORY_DIR: childHistoryDir, LOCAL_ENGINE_CREDENTIALS: credentialsFile },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/moto-api/`, 'the local engine (moto)', { timeoutMs: 60000, logPath: proc.logPath });
  return { ...proc, endpoint };
}

/**
 * quicksight-sim on a free port; `flags` are its command-line flags. It
 * writes the snapshots as QuickSight's service role (`credentials`) and
 * refuses what the callers' policies (`policiesFile`) do not allow.
 */
async function startQuickSight({ logDir, flags = [], s3Endpoint, credentials, policiesFile }) {
  const args = ['--addr', '127.0.0.1:0', ...flags, '--s3-endpoint', s3Endpoint, '--iam-policies', policiesFile];
  const proc = startProcess(binaryPath('quicksight-sim'), args, { logDir, name: 'quicksight-sim', env: credentialsEnv(credentials) });
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
 * `settings` are the functions' environment (the SAM parameters);
 * `revoke` ({ function: [action] }) takes actions from a function's role;
 * `copyEvents: false` skips the bus's copy to a queue, which costs moto
 * about 17 ms per event (a run of 10,000 outcomes). `stop()` ends every
 * process.
 */
export async function startStack({ logDir, bucket, simFlags = [], settings = {}, concurrency = 4, revoke = {}, copyEvents = true }) {
  const coordinationTable = 'export-coordination';
  const eventBus = 'export-events';
  const stopped = [];
  const invocations = [];
  const began = Date.now();
  // A fresh stack leaves nothing of an earlier one in its folder.
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  try {
    const routerPort = await freePort();
    const childHistoryDir = join(logDir, 'child-histories');
    const engineCredentials = join(logDir, 'engine-credentials.json');
    const engine = await startEngine({ logDir, routerPort, childHistoryDir, credentialsFile: engineCredentials });
    stopped.push(engine);
    // The template's roles, in the engine; each process of the stack runs as one.
    const iam = await setUpIam({ endpoint: engine.endpoint, bucket, table: coordinationTable, eventBus, revoke, logDir });
    writeEngineCredentials(engineCredentials, iam);
    const simPolicies = join(logDir, 'quicksight-policies.json');
    writeSimPolicies(simPolicies, iam);
    const quicksight = await startQuickSight({
      logDir,
      flags: simFlags,
      s3Endpoint: engine.endpoint,
      credentials: iam.quicksight.credentials,
      policiesFile: simPolicies,
    });
    stopped.push(quicksight);
    const stateMachineArn = stateMachineArnFor(iam.stateMachineName);
    const functionEnv = {
      AWS_REGION: LOCAL_REGION,
      // The template sets it from AWS::AccountId: requests must name it.
      STACK_ACCOUNT_ID: LOCAL_ACCOUNT,
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
      STATE_MACHINE_ARN: stateMachineArn,
      LINK_EXPIRY_SECONDS: '900',
      ...settings,
    };
    const functions = await startFunctions({
      logDir,
      concurrency,
      env: { ...functionEnv, RUST_LOG: 'info' },
      // Each function as its own role, as Lambda gives it its role's credentials.
      envOf: (name) => credentialsEnv(iam.functions[name].credentials),
    });
    stopped.push(functions);
    const router = await startLambdaRouter({
      port: routerPort,
      functionsBase: functions.base,
      motoBase: engine.endpoint,
      timeoutOf: (name) => iam.timeouts[name] ?? 65,
      onInvoke: (invocation) => invocations.push(invocation),
    });
    stopped.push(router);

    // The harness's own calls, as an administrator of the account.
    const harness = { endpoint: engine.endpoint, region: LOCAL_REGION, credentials: iam.admin };
    const s3 = s3Client(harness);
    await s3.createBucket(bucket);
    const events = await createEventBus(engine.endpoint, eventBus, iam.admin, { copy: copyEvents });
    const dynamodb = jsonProtocolClient({ ...harness, targetPrefix: 'DynamoDB_20120810', service: 'dynamodb' });
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
    const sfn = jsonProtocolClient({ ...harness, targetPrefix: 'AWSStepFunctions', service: 'states' });
    await sfn('CreateStateMachine', {
      name: iam.stateMachineName,
      definition: definitionText({ bucket }),
      roleArn: iam.stateMachine.roleArn,
      type: 'STANDARD',
    });
    // Every call from here on is authenticated and authorized.
    await enableIam(engine.endpoint);
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
      /** The roles as the template grants them, and the credentials of each. */
      iam,
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
