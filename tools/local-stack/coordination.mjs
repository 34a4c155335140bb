// The coordination table on the local stack (the template's
// CoordinationTable, which the functions share: the snapshot slots'
// leases and waiters, the call budget, the duration log): created as the
// template declares it, and its slot state read back for the tests and the
// local run, which check that every run frees what it took.

/** The template's CoordinationTable: keys pk and sk, on demand. */
export async function createCoordinationTable(dynamodb, table) {
  await dynamodb('CreateTable', {
    TableName: table,
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
