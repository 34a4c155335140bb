// IAM on the local stack: each function runs as the role the template gives
// it (iam_setup.py makes the roles in moto from the transformed template and
// assumes them), moto refuses what a role's policy does not allow once the
// stack enables its checks (engine_iam.py fills what moto's own check
// lacks), and the simulator refuses the QuickSight calls a caller's policy
// does not allow (`--iam-policies`).

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './processes.mjs';

const run = promisify(execFile);

/**
 * The roles, made and assumed in the engine at `endpoint`:
 * `{ stateMachineName, admin, functions: { name: { roleArn, credentials, statements } }, stateMachine, quicksight }`.
 * `revoke` ({ function: [action] }) takes actions away from a function's role.
 */
export async function setUpIam({ endpoint, bucket, table, eventBus, revoke = {}, logDir }) {
  const args = [join(ROOT, 'tools', 'local-stack', 'iam_setup.py'), '--endpoint', endpoint, '--bucket', bucket, '--table', table, '--event-bus', eventBus];
  for (const [fn, actions] of Object.entries(revoke)) for (const action of actions) args.push('--revoke', `${fn}=${action}`);
  let stdout;
  try {
    ({ stdout } = await run('python', args, { cwd: ROOT, timeout: 60000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    throw new Error(`the roles could not be made from the template (tools/local-stack/iam_setup.py): ${error.stderr || error.message}`);
  }
  const iam = JSON.parse(stdout);
  // What each identity may do, for reading a refusal: the roles as granted.
  writeFileSync(join(logDir, 'roles.json'), JSON.stringify({ stateMachineName: iam.stateMachineName, functions: Object.fromEntries(Object.entries(iam.functions).map(([n, f]) => [n, f.statements])) }, null, 1));
  return iam;
}

/** The credentials file the engine signs its own calls with (engine_iam.py). */
export function writeEngineCredentials(path, iam) {
  writeFileSync(path, JSON.stringify(iam.stateMachine.credentials));
}

/**
 * The simulator's `--iam-policies` file: each function's access key, its
 * role and what the role may do.
 */
export function writeSimPolicies(path, iam) {
  const byKey = {};
  for (const identity of [...Object.values(iam.functions), iam.stateMachine]) {
    byKey[identity.credentials.AccessKeyId] = { principal: identity.roleArn, statements: identity.statements };
  }
  writeFileSync(path, JSON.stringify(byKey, null, 1));
}

/**
 * From now on moto authenticates and authorizes every call. A plain fetch:
 * `/moto-api/reset-auth` is moto's own API, which no AWS SDK client knows.
 */
export async function enableIam(endpoint) {
  const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0', signal: AbortSignal.timeout(10000) });
  if (!response.ok) throw new Error(`moto did not turn its IAM checks on: ${response.status} ${await response.text()}`);
}

/** A function's credentials, as Lambda puts them in its environment. */
export function credentialsEnv(credentials) {
  return {
    AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
    AWS_SESSION_TOKEN: credentials.SessionToken,
  };
}
