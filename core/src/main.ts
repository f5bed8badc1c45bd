import { runMain } from '@rehearsal/runtime';
import { serveCore } from './serve.ts';

await runMain('core', serveCore);
