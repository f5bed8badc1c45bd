import { runMain } from '@rehearsal/core/runtime';
import { serveIdp } from './serve.ts';

await runMain('mock-idp', serveIdp);
