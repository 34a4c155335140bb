// Runs that share the account: side by side, under a lower cap, a stopped
// run's slots reclaimed, and QuickSight's job cap taken by work outside the
// semaphore. One fresh stack per scenario (scenario.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slotState } from '../../tools/local-stack/stack.mjs';
import { submitRun, waitForRun, invokeFunction } from '../../tools/local-stack/runs.mjs';
import { syntheticRequest } from '../../tools/local-stack/requests.mjs';
import { EXAMPLE, withStack, run, runSideBySide } from './scenario.mjs';

test('two runs side by side share the account: every recipient completed, never past the cap, a fair share each, no slot left', async () => {
  await withStack('two-runs', { jobMs: 3000 }, async (stack) => {
    const runs = await runSideBySide(stack, [syntheticRequest(EXAMPLE, 36), syntheticRequest(EXAMPLE, 36)], 'pair');
    for (const run of runs) {
      assert.equal(run.result.status, 'SUCCEEDED', run.result.cause);
      assert.equal(run.manifest.counts.completed, 36, run.name);
      assert.ok(run.calls.median <= 4, `${run.name}: median ${run.calls.median} calls per job`);
    }
    const stats = await stack.quicksight.stats();
    assert.ok(stats.max_running <= 12, `at most 12 jobs at once, saw ${stats.max_running}`);
    assert.equal(stats.limit_exceeded, 0, 'the semaphore kept every start under the cap');
    // Fair: started together, they end together.
    const [a, b] = runs.map((r) => r.result.seconds);
    assert.ok(Math.abs(a - b) < 0.25 * Math.max(a, b), `makespans ${a} s and ${b} s`);
    assert.deepEqual(await slotState(stack), { leases: [], waiters: [] });
  });
});

test('three runs under a lower cap: the cap holds across them all and every lease is released', async () => {
  await withStack('three-runs', { jobMs: 2000, settings: { SLOT_CAP: '6' } }, async (stack) => {
    const requests = [12, 12, 12].map((n) => syntheticRequest(EXAMPLE, n));
    const runs = await runSideBySide(stack, requests, 'trio');
    for (const run of runs) {
      assert.equal(run.result.status, 'SUCCEEDED', run.result.cause);
      assert.equal(run.manifest.counts.completed, 12, run.name);
    }
    const stats = await stack.quicksight.stats();
    assert.ok(stats.max_running <= 6, `at most 6 jobs at once, saw ${stats.max_running}`);
    assert.ok(stats.max_running >= 5, `the slots were used, at most ${stats.max_running} at once`);
    assert.deepEqual(await slotState(stack), { leases: [], waiters: [] });
  });
});

test('the slots of a run stopped halfway are reclaimed by the reaper and go to the run still going', async () => {
  await withStack('reaper', { jobMs: 3000 }, async (stack) => {
    const stoppedRun = await submitRun(stack, { request: syntheticRequest(EXAMPLE, 36), name: 'stopped-run' });
    const going = await submitRun(stack, { request: syntheticRequest(EXAMPLE, 24), name: 'going-run' });
    const holdsOf = async (name) => (await slotState(stack)).leases.filter((l) => l.run.endsWith(`:${name}`));
    // Once the runs hold slots, stop the first one.
    for (let i = 0; i < 200 && (await holdsOf('stopped-run')).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    await stack.sfn('StopExecution', { executionArn: stoppedRun.executionArn, error: 'Test.Stopped', cause: 'halfway' });
    assert.equal((await waitForRun(stack, stoppedRun)).status, 'ABORTED');
    // Stopped, the run's in-flight invocations still finish (a take-slot
    // may still join the waiters), on AWS as in the local engine: the
    // reaper runs once its slots and waiters have not changed for 2 s.
    const stoppedState = async () => {
      const { leases, waiters } = await slotState(stack);
      return JSON.stringify([leases, waiters].map((list) => list.filter((e) => e.run.endsWith(':stopped-run')).map((e) => e.holder).sort()));
    };
    for (let last = await stoppedState(), i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const now = await stoppedState();
      if (now === last) break;
      last = now;
    }
    const leftBehind = await holdsOf('stopped-run');
    assert.ok(leftBehind.length > 0, 'a stopped run leaves its slots taken until the reaper runs');

    // The event EventBridge delivers for the stop, as the template's rule passes it.
    const reaped = await invokeFunction(stack, 'reap-slots', {
      version: '0',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { executionArn: stoppedRun.executionArn, stateMachineArn: stack.stateMachineArn, name: 'stopped-run', status: 'ABORTED' },
    });
    assert.equal(reaped.leases, leftBehind.length);
    assert.deepEqual(await holdsOf('stopped-run'), []);

    const result = await waitForRun(stack, going);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(result.output.counts.completed, 24);
    assert.deepEqual(await slotState(stack), { leases: [], waiters: [] });
  });
});

test("QuickSight's job cap taken by work outside the semaphore is waited out, not failed", async () => {
  // Another tool holds 8 of the account's 12 jobs: QuickSight refuses our
  // 5th job with LimitExceeded although our own semaphore has slots left.
  await withStack('outside-work', { simFlags: ['--max-running-jobs', '4'] }, async (stack) => {
    const { result, manifest } = await run(stack, syntheticRequest(EXAMPLE, 8), 'outside');
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(manifest.counts.completed, 8);
    const stats = await stack.quicksight.stats();
    assert.ok(stats.limit_exceeded > 0, 'QuickSight refused some starts');
    assert.ok(stats.max_running <= 4);
    assert.deepEqual(await slotState(stack), { leases: [], waiters: [] });
  });
});
