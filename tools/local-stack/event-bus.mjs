// The local stack's EventBridge bus (on AWS the owner's bus, which the
// template's EventBusName parameter names), with a rule that copies every
// event of the export's source to an SQS queue, so runs and tests can read
// what was published: a bus keeps nothing to read back, and on AWS the owner
// subscribes whatever they like.

/**
 * Creates `bus` with `events` and `sqs` (call functions of aws-clients.mjs)
 * and, unless `copy` is false, its copy to the queue `<bus>-copy`.
 * `published()` is every event copied so far.
 */
export async function createEventBus({ events, sqs }, bus, { copy = true } = {}) {
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
