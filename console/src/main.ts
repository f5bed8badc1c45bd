import { runMain } from '@rehearsal/runtime';
import { serveConsole } from './serve.ts';

await runMain('console', serveConsole);
