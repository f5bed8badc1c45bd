#!/usr/bin/env node
// The `rehearsal` command: the compiled CLI (dist/, built by `npm start`, `npm test` or
// `node scripts/build.mjs`) when it is current, else the TypeScript sources through tsx.
import { compiledEntry } from '../../scripts/dist.mjs';

const compiled = compiledEntry('rehearsal');
let main;
if (compiled) {
  main = await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  main = await import('../src/main.ts');
}
process.exitCode = await main.run(process.argv.slice(2));
