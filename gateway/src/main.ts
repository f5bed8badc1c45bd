import { runMain } from '@rehearsal/core/runtime';
import { serveGateway } from './serve.ts';

await runMain('gateway', serveGateway);
