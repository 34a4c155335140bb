// Replaces what lies between `<!-- BEGIN <name> -->` and `<!-- END <name> -->`
// in a doc file with standard input, so that figures a script measures are
// written by that script, never pasted by hand.
//
//   some-command | node tools/docs/write-section.mjs docs/benchmark.md "figures written by scripts/benchmark"

import { readFileSync, writeFileSync } from 'node:fs';

const [file, name] = process.argv.slice(2);
if (!file || !name) {
  console.error('usage: node tools/docs/write-section.mjs FILE "SECTION NAME" < content');
  process.exit(64);
}
const begin = `<!-- BEGIN ${name} -->`;
const end = `<!-- END ${name} -->`;
const text = readFileSync(file, 'utf8');
const from = text.indexOf(begin);
const to = text.indexOf(end);
if (from < 0 || to < from) {
  console.error(`${file} has no section between "${begin}" and "${end}"`);
  process.exit(1);
}
const content = readFileSync(0, 'utf8').replace(/\n*$/, '\n');
writeFileSync(file, `${text.slice(0, from + begin.length)}\n${content}${text.slice(to)}`);
console.error(`wrote ${file} ("${name}")`);
