// Starts the real PostgreSQL and Redis servers npm test's second run uses (the
// suites again with DATABASE_URL and REDIS_URL), prints their URLs as one JSON
// line, and stops them when its standard input closes or it is told to stop.
import { serversMissing, startPostgres, startRedis } from '@rehearsal/runtime/testing';

let missing: string | undefined;
try {
  missing = serversMissing();
} catch (err) {
  // In CI their absence is an error: npm test reports it as a failed step.
  missing = (err as Error).message;
}
if (missing) {
  console.log(JSON.stringify({ missing }));
  process.exit(0);
}
const postgres = await startPostgres();
const redis = await startRedis();
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([postgres.stop(), redis.stop()]);
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
console.log(JSON.stringify({ DATABASE_URL: postgres.url, REDIS_URL: redis.url }));
