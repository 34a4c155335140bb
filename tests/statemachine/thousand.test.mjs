// 1,000 recipients in one request on the local stack, at QuickSight's own
// call rate: the longest scenario (about 6.5 minutes, bound by the call
// budget), in a file of its own so that it runs beside the others.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slotState } from '../../tools/local-stack/stack.mjs';
import { childHistories, executionFigures, findSecrets } from '../../tools/local-stack/runs.mjs';
import { syntheticRequest, secretsOf } from '../../tools/local-stack/requests.mjs';
import { EXAMPLE, withStack, run } from './scenario.mjs';

test('1,000 recipients in one request: one outcome each, no value in any history, far from every limit', async () => {
  // The default call budget (8 calls a second): 3,000 calls take 375 s.
  // It reads no event: the bus's copy to a queue (moto's slowest path) is off.
  await withStack('thousand', { copyEvents: false }, async (stack) => {
    const request = syntheticRequest(EXAMPLE, 1000);
    const { result, parentEvents, manifest } = await run(stack, request, 'thousand');
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(manifest.counts.recipients, 1000);
    assert.equal(manifest.counts.completed, 1000);
    assert.equal(new Set(manifest.recipients.map((e) => e.recipient_id)).size, 1000);
    const children = childHistories(stack);
    assert.equal(children.length, 1000);
    assert.deepEqual(findSecrets(secretsOf(request), { parentEvents, children, invocations: stack.invocations }), []);
    const figures = executionFigures(parentEvents, children);
    console.log(`# 1,000 recipients: ${result.seconds.toFixed(1)} s; ${JSON.stringify(figures)}`);
    // The parent's history does not grow with the recipients.
    assert.ok(figures.parentHistoryEvents < 50, JSON.stringify(figures));
    assert.ok(figures.childHistoryEventsMax < 100, JSON.stringify(figures));
    const stats = await stack.quicksight.stats();
    assert.ok(stats.throttled < 30, `the call budget kept throttles rare: ${stats.throttled}`);
    assert.deepEqual(await slotState(stack), { leases: [], waiters: [] });
    assert.ok(figures.largestPayloadBytes < 4096, JSON.stringify(figures));
  });
});
