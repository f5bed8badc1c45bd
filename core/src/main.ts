import { runMain } from './runtime/index.ts';
import { serveCore } from './serve.ts';

await runMain('core', serveCore);
