// The local stack itself: it runs the binaries the build made, as they are,
// several instances of each function under cargo lambda's emulator, and
// compiles nothing, so a start takes seconds (it took minutes when each
// instance was a `cargo run`, and a newcomer's first one failed on it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startStack, functionNames } from '../../tools/local-stack/stack.mjs';
import { binaryPath } from '../../tools/local-stack/processes.mjs';

test('the stack starts the built binaries, four instances of each function, and compiles nothing', async () => {
  const names = functionNames();
  const builtAt = Object.fromEntries(names.map((n) => [n, statSync(binaryPath(n)).mtimeMs]));
  const stack = await startStack({ logDir: join(ROOT, 'target', 'statemachine-tests', 'stack'), bucket: 'quicksight-exports-local' });
  try {
    console.log(`# the stack started in ${(stack.startMs / 1000).toFixed(1)} s`);
    const instances = stack.functions.instances();
    for (const name of names) {
      const running = instances.filter((i) => i.name === name);
      assert.equal(running.length, 4, `${name}: ${running.length} instances`);
      for (const { pid } of running) assert.equal(readlinkSync(`/proc/${pid}/exe`), binaryPath(name), `${name} runs its built binary`);
      assert.equal(statSync(binaryPath(name)).mtimeMs, builtAt[name], `${name} was not built again`);
    }
    const emulatorLog = readFileSync(join(stack.childHistoryDir, '..', 'lambda-emulator.log'), 'utf8');
    assert.doesNotMatch(emulatorLog, /Compiling|Finished|cargo run/, 'the emulator started no build');
    // Far from the minutes a compile takes; not a timing target.
    assert.ok(stack.startMs < 60000, `the stack took ${stack.startMs} ms to start`);
  } finally {
    await stack.stop();
  }
});

// Each function may do what its template role grants and no more: take one
// permission away and the run that needs it fails, recipient by recipient,
// with AccessDenied, from moto (S3) and from the simulator (QuickSight).
test('a permission taken from one function fails the runs that need it with AccessDenied', async () => {
  const { withStack, run, EXAMPLE } = await import('./scenario.mjs');
  const { syntheticRequest } = await import('../../tools/local-stack/requests.mjs');
  const cases = [
    // start-job reads the recipient's tags from the stored request.
    { fn: 'start-job', action: 's3:GetObject', type: 'Export.StorageRejected', says: /AccessDenied/ },
    // start-job starts the snapshot job.
    { fn: 'start-job', action: 'quicksight:StartDashboardSnapshotJob', type: 'QuickSight.AccessDeniedException', says: /not authorized to perform: quicksight:StartDashboardSnapshotJob/ },
  ];
  for (const { fn, action, type, says } of cases) {
    await withStack(`revoked-${action.replace(':', '-')}`, { revoke: { [fn]: [action] } }, async (stack) => {
      const granted = stack.iam.functions[fn].statements.flatMap((s) => [s.Action].flat());
      assert.ok(!granted.includes(action), `${fn} still has ${action}`);
      const { result, manifest } = await run(stack, syntheticRequest(EXAMPLE, 2), `revoked-${fn}`);
      assert.equal(result.status, 'SUCCEEDED', result.cause);
      assert.equal(manifest.counts.failed, 2, JSON.stringify(manifest.counts));
      for (const entry of manifest.recipients) {
        assert.equal(entry.error.type, type, JSON.stringify(entry.error));
        assert.match(entry.error.message, says);
      }
    });
  }
});
