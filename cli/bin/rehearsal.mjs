#!/usr/bin/env node
// The `rehearsal` command. Rehearsal runs its TypeScript sources directly, through tsx.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/main.ts');
process.exitCode = await run(process.argv.slice(2));
