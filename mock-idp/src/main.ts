import { runMain } from '@rehearsal/runtime';
import { serveIdp } from './serve.ts';

await runMain('mock-idp', serveIdp);
