// The state machine as the local stack creates it: the real definition
// (statemachine/export-dashboard.asl.json) with the substitutions SAM's
// DefinitionSubstitutions make on AWS, for the account and region the stack
// stands for. Each `${XFunctionArn}` becomes the ARN of a Lambda function
// named after its binary (`StartJobFunctionArn` -> `start-job`), which the
// router (lambda-router.mjs) hands to that binary.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.mjs';

export const DEFINITION_PATH = join(ROOT, 'statemachine', 'export-dashboard.asl.json');
/** The account and region of every ARN the local stack makes or names. */
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
