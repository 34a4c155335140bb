// The local stack: everything a deployed stack has, on this machine, and
// startStack, which starts it and creates its resources. The parts, one
// file each:
//
//   services.mjs          moto's server (engine.py: Step Functions through LocalStack's ASL
//                         engine, S3, DynamoDB, EventBridge, SQS, IAM) and quicksight-sim,
//                         QuickSight's snapshot API writing real files to moto's S3
//   lambda-router.mjs     $MOTO_PORT: Lambda Invoke -> the functions, the rest -> moto
//   functions.mjs         the real function binaries (the debug build), several instances
//                         each, under cargo lambda's emulator
//   iam.mjs               the template's roles in moto, one per process of the stack
//   definition.mjs        the real definition (statemachine/) with SAM's substitutions
//   event-bus.mjs         the bus, with a copy of every event in an SQS queue
//   coordination.mjs      the coordination table, and its slot state read back
//   aws-clients.mjs       the harness's own calls, with the AWS SDK for JavaScript
//   processes.mjs         children, logs, ports and deadlines
//
// Used by the local run (scripts/run-local), the state machine tests and
// the cold-start figures. Needs the debug build of the workspace (`cargo
// build --workspace --all-targets`; the stack compiles nothing) and the
// Python venv from scripts/setup (moto, cargo-lambda). Every wait has its
// own deadline and names what it waited for and its log.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLambdaRouter } from './lambda-router.mjs';
import { startFunctions, functionNames } from './functions.mjs';
import { ROOT, freePort } from './processes.mjs';
import { harnessClients, parseS3Uri } from './aws-clients.mjs';
import { setUpIam, enableIam, writeSimPolicies, writeEngineCredentials, credentialsEnv } from './iam.mjs';
import { startEngine, startQuickSight } from './services.mjs';
import { LOCAL_ACCOUNT, LOCAL_REGION, definitionText, stateMachineArnFor } from './definition.mjs';
import { createEventBus } from './event-bus.mjs';
import { createCoordinationTable, slotState } from './coordination.mjs';

// What callers of the stack have always imported from here.
export { ROOT, freePort, functionNames, parseS3Uri, slotState };
export { DEFINITION_PATH, LOCAL_ACCOUNT, LOCAL_REGION, binaryFor, definitionText, placeholders, stateMachineArnFor } from './definition.mjs';

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
    const clients = harnessClients({ endpoint: engine.endpoint, lambdaEndpoint: router.endpoint, region: LOCAL_REGION, credentials: iam.admin });
    stopped.push({ stop: async () => clients.destroy() });
    const { s3, sfn, dynamodb, lambda } = clients;
    await s3.createBucket(bucket);
    const events = await createEventBus(clients, eventBus, { copy: copyEvents });
    await createCoordinationTable(dynamodb, coordinationTable);
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
      /** Lambda Invoke through the router, as `aws lambda invoke` (runs.mjs's invokeFunction). */
      lambda,
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
