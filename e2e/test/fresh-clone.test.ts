import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { dockerMissing } from './support/containers.ts';
import { ROOT } from './support/e2e-stack.ts';

const run = promisify(execFile);

/** What a clone of the repository holds: the tracked files (and new ones not ignored), no node_modules, no data. */
async function freshClone(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-clone-'));
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the work tree, not committed yet
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  return dir;
}

/**
 * Issue 13.15: `docker-compose up --build` on a fresh clone failed after 76 s
 * with an npm certificate error inside the build. The build context must hold
 * the installed tree: the Dockerfile says so at once, and the base image's
 * script (the README's first container command) installs it.
 */
describe('container images from a fresh clone', function () {
  this.timeout(1_200_000);
  let clone: string;
  before(async function () {
    const missing = await dockerMissing();
    if (missing) {
      console.log(`    skipped: ${missing}`);
      return this.skip();
    }
    clone = await freshClone();
  });
  after(() => clone && rmSync(clone, { recursive: true, force: true }));

  const build = (cwd: string) =>
    run('docker', ['build', '--network', 'host', '--target', 'core', '-t', 'rehearsal-core:fresh-clone', '.'], { cwd, maxBuffer: 64 * 1024 * 1024 });

  it('refuses at once, saying what to run, when the context has no installed node_modules', async () => {
    expect(existsSync(join(clone, 'node_modules'))).to.equal(false);
    const failed = await build(clone).then(
      () => undefined,
      (err: { stderr: string; stdout: string }) => err.stderr + err.stdout,
    );
    expect(failed, 'the build must not go to the registry from inside the image').to.be.a('string');
    expect(failed).to.contain('run `bash scripts/docker-base-image.sh`');
    expect(failed).not.to.match(/SELF_SIGNED|self-signed|ETIMEDOUT|ECONNREFUSED/);
  });

  it('builds once the base image script has run in the clone, as the README says', async () => {
    await run('bash', ['scripts/docker-base-image.sh', 'rehearsal-node:20'], { cwd: clone, maxBuffer: 64 * 1024 * 1024 });
    expect(existsSync(join(clone, 'node_modules', 'better-sqlite3', 'build'))).to.equal(true);
    await build(clone);
    const { stdout } = await run('docker', [
      'run',
      '--rm',
      '--network',
      'host',
      '--entrypoint',
      'node',
      'rehearsal-core:fresh-clone',
      '-e',
      "require('better-sqlite3'); console.log('ok')",
    ]);
    expect(stdout.trim()).to.equal('ok');
    await run('docker', ['image', 'rm', 'rehearsal-core:fresh-clone']).catch(() => undefined);
  });
});
