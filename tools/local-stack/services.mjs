// The two services the local stack runs in place of AWS's: moto's server
// with execution on (engine.py: Step Functions through LocalStack's ASL
// engine, S3, DynamoDB, SQS, EventBridge, IAM and STS) and the QuickSight
// simulator (quicksight-sim, the workspace's binary). Each is started on a
// free port and waited for with its own deadline, which names its log.

import { join } from 'node:path';
import { ROOT, binaryPath, firstLine, freePort, startProcess, waitForHttp } from './processes.mjs';
import { credentialsEnv } from './iam.mjs';

/**
 * moto's server with execution on (engine.py). Its engine calls every
 * service at http://localhost:`routerPort`, signing as the state machine's
 * role (`credentialsFile`), and keeps the Distributed Map's child histories
 * in `childHistoryDir`.
 */
export async function startEngine({ logDir, routerPort, childHistoryDir, credentialsFile }) {
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
 * `stats()` reads its counters (its own endpoint, not QuickSight's API).
 */
export async function startQuickSight({ logDir, flags = [], s3Endpoint, credentials, policiesFile }) {
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
