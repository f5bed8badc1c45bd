import { runMain } from '@rehearsal/runtime';
import { serveGateway } from './serve.ts';

await runMain('gateway', serveGateway);
