// What the suites need beyond npm packages, prepared where this machine allows:
// Debian packages (installed with apt-get when running as root), the Docker
// engine (started without a bridge when none answers), and the base image of the
// Dockerfile (built from this machine's Node). One line per prerequisite says
// what was found, what was done, or exactly what to install.
// Only Node built-ins here: it runs before anything else is installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BASE_IMAGE = 'rehearsal-node:20';

const ok = (cmd, args = [], options = {}) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 60_000, ...options }).status === 0;
const has = (command) => ok('sh', ['-c', `command -v ${command}`]);
const pythonHas = (module) => existsSync('/usr/bin/python3') && ok('/usr/bin/python3', ['-c', `import ${module}`]);
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const canApt = () => isRoot() && has('apt-get');
const say = (line) => console.log(`[prepare] ${line}`);

/** Build tools for the native addon (better-sqlite3): needed before `npm ci`. */
export const BUILD_TOOLS = [
  { name: 'python3', packages: ['python3'], present: () => has('python3') },
  { name: 'make', packages: ['make'], present: () => has('make') },
  { name: 'g++', packages: ['g++'], present: () => has('g++') },
];

/** What the suites use, the Debian package that brings it, and what goes without it. */
export const SUITE_PACKAGES = [
  { name: 'openssl', packages: ['openssl', 'ca-certificates'], present: () => has('openssl'), needed: 'test certificates for SAML connections' },
  { name: 'xmlsec1', packages: ['xmlsec1'], present: () => has('xmlsec1'), needed: 'verifying the mock IdP signatures independently' },
  { name: 'xmllint', packages: ['libxml2-utils'], present: () => has('xmllint'), needed: 'validating every SAML document against the OASIS schemas' },
  {
    name: 'pysaml2',
    packages: ['python3-pysaml2'],
    present: () => pythonHas('saml2'),
    needed: 'a second SAML peer (SP and IdP) in the interoperability tests',
  },
  {
    name: 'python3-saml',
    packages: ['python3-onelogin-saml2'],
    present: () => pythonHas('onelogin.saml2'),
    needed: "OneLogin's strict SP judging the IdP's faults",
  },
  {
    name: 'simplesamlphp',
    packages: ['simplesamlphp', 'php-cli', 'php-xml', 'php-mbstring'],
    present: () =>
      existsSync('/usr/share/simplesamlphp/www') && has('php') && ok('php', ['-r', 'exit(extension_loaded("dom") && extension_loaded("mbstring") ? 0 : 1);']),
    needed: 'a SAML IdP and SP from another ecosystem (SimpleSAMLphp) in the interoperability tests',
  },
  { name: 'chromium', packages: ['chromium'], present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), needed: 'the browser suite' },
  { name: 'docker', packages: ['docker.io'], present: () => has('dockerd') && has('docker'), needed: 'the container suite' },
  { name: 'docker-compose', packages: ['docker-compose'], present: () => has('docker-compose'), needed: 'validating docker-compose.yml' },
  {
    name: 'postgresql',
    packages: ['postgresql'],
    present: () => existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`)),
    needed: 'real PostgreSQL servers, each started in a temporary directory by the tests',
  },
  {
    name: 'redis-server',
    packages: ['redis-server'],
    present: () => has('redis-server'),
    needed: 'real Redis servers, each started on a loopback port by the tests',
  },
  {
    name: 'haproxy',
    packages: ['haproxy'],
    present: () => ['/usr/sbin/haproxy', '/usr/bin/haproxy'].some((p) => existsSync(p)),
    needed: 'the load balancer in front of core and gateway replicas (up --replicas)',
  },
];

/** What to tell when something cannot be prepared here: what it is for, and the command that installs it. */
const missingLine = (item) =>
  `missing: ${item.name}${item.needed ? ` (${item.needed})` : ''}: install it with \`sudo apt-get install -y ${item.packages.join(' ')}\``;

let aptUpdated = false;
function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 600_000 });
    aptUpdated = true;
  }
  return ok('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env, timeout: 1_800_000 });
}

/** Installs what is missing of `items` when it can; returns the names still missing. */
export function ensurePackages(items) {
  const missing = [];
  const absent = items.filter((item) => !item.present());
  for (const item of items) if (item.present()) say(`ready: ${item.name}`);
  if (absent.length && canApt()) {
    const packages = [...new Set(absent.flatMap((item) => item.packages))];
    say(`installing with apt-get: ${packages.join(' ')}`);
    aptInstall(packages);
  }
  for (const item of absent) {
    if (item.present()) say(`prepared: ${item.name} (installed ${item.packages.join(' ')} with apt-get)`);
    else {
      missing.push(item.name);
      say(missingLine(item));
    }
  }
  return missing;
}

const engineAnswers = () => ok('docker', ['info'], { timeout: 20_000 });

/**
 * A Docker engine: the one that answers, or one started here without a bridge
 * or iptables rules (every container uses the host's network). Returns how to
 * stop what was started, if anything was.
 */
export async function ensureDockerEngine() {
  if (!has('docker')) return { stop: () => {} };
  if (engineAnswers()) {
    say('ready: docker engine (running)');
    return { stop: () => {} };
  }
  if (!isRoot() || !has('dockerd')) {
    say('missing: a running docker engine (the container suite): start one with `sudo dockerd --bridge=none --iptables=false &`');
    return { stop: () => {} };
  }
  const log = join(tmpdir(), 'rehearsal-dockerd.log');
  const daemon = spawn('dockerd', ['--bridge=none', '--iptables=false'], { detached: true, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  daemon.unref();
  for (let i = 0; i < 120 && !engineAnswers(); i++) await new Promise((resolve) => setTimeout(resolve, 500));
  if (!engineAnswers()) {
    say(`missing: the docker engine did not start (see ${log})`);
    return { stop: () => daemon.kill('SIGTERM') };
  }
  say(`prepared: docker engine (started: dockerd --bridge=none --iptables=false, process ${daemon.pid}, log ${log})`);
  return {
    stop: () => {
      try {
        process.kill(daemon.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    },
  };
}

/** The Dockerfile's base image, assembled from this machine's Node (no registry is reachable). */
export function ensureBaseImage() {
  if (!has('docker') || !engineAnswers()) return;
  if (ok('docker', ['image', 'inspect', BASE_IMAGE])) {
    say(`ready: ${BASE_IMAGE} image`);
    return;
  }
  const built = spawnSync('bash', [join(root, 'scripts', 'docker-base-image.sh'), BASE_IMAGE], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  if (built.status === 0) say(`prepared: ${BASE_IMAGE} image (scripts/docker-base-image.sh)`);
  else say(`missing: ${BASE_IMAGE} image: \`bash scripts/docker-base-image.sh\` failed: ${(built.stderr || built.stdout).trim().split('\n').pop()}`);
}

/** Everything the suites need; returns how to undo what was started (the engine). */
export async function prepare() {
  ensurePackages(SUITE_PACKAGES);
  const engine = await ensureDockerEngine();
  ensureBaseImage();
  return engine;
}

/** Says, one line each, what is there and what is missing, and changes nothing. */
export function report(items) {
  for (const item of items) {
    if (item.present()) say(`ready: ${item.name}`);
    else say(missingLine(item));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  if (arg === '--build-tools') process.exit(ensurePackages(BUILD_TOOLS).length ? 1 : 0);
  else if (arg === '--report') report(SUITE_PACKAGES);
  else await prepare();
}
