import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Issue 13.14: `npm test` prepares what the suites need beyond npm packages
 * (scripts/prepare.mjs, which scripts/test.mjs runs first), one line per
 * prerequisite: ready, prepared, or missing with the command that installs it.
 */
describe('npm test: the prerequisites step', function () {
  this.timeout(600_000);
  it('reports every prerequisite once, as ready, prepared or missing with what to install', async () => {
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(process.execPath, [join(ROOT, 'scripts', 'prepare.mjs'), '--report'], { cwd: ROOT }, (err, stdout) =>
        err ? reject(new Error(err.message, { cause: err })) : resolve({ stdout }),
      ),
    );
    const lines = stdout.split('\n').filter((l) => l.startsWith('[prepare] ') && !l.startsWith('[prepare] installing'));
    for (const name of ['openssl', 'xmlsec1', 'pysaml2', 'python3-saml', 'chromium', 'docker', 'docker-compose', 'postgresql', 'redis-server']) {
      const about = lines.filter((l) => new RegExp(`^\\[prepare\\] (ready|prepared|missing): ${name}( |:|$)`).test(l));
      expect(about, `${name} in\n${stdout}`).to.have.length(1);
      if (about[0]!.includes('missing:')) expect(about[0]).to.match(/install it with `sudo apt-get install -y [a-z0-9.-]+/);
    }
  });
});
