// Where the compiled JavaScript is and whether it is current: used by the `rehearsal`
// command and by the stack's process launcher, so plain JavaScript with built-ins only.
// dist/ holds one bundle per entry point (the CLI and the three services), built by
// scripts/build.mjs; dist/manifest.json lists the sources each build read.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder up from here whose package.json is Rehearsal's (this file may run bundled in dist/). */
export function repositoryRoot(from = dirname(fileURLToPath(import.meta.url))) {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'rehearsal') return dir;
    if (dirname(dir) === dir) throw new Error(`no Rehearsal repository above ${from}`);
  }
}

/** True when dist/ was built after every source it was built from last changed. */
export function distIsCurrent(root = repositoryRoot()) {
  const path = join(root, 'dist', 'manifest.json');
  if (!existsSync(path)) return false;
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    return manifest.inputs.every((input) => statSync(join(root, input)).mtimeMs <= manifest.builtAt);
  } catch {
    return false; // a source gone, or a manifest cut short: build again
  }
}

/** Each entry point's TypeScript source: what scripts/build.mjs compiles to dist/<name>.js. */
export const SOURCES = {
  rehearsal: 'cli/src/main.ts',
  core: 'core/src/main.ts',
  'mock-idp': 'mock-idp/src/main.ts',
  gateway: 'gateway/src/main.ts',
  console: 'console/src/main.ts',
};

/** Node's arguments that run `name`: its compiled bundle when dist/ is current, else its TypeScript source through tsx. */
export function entryArgs(name, root = repositoryRoot()) {
  const compiled = compiledEntry(name, root);
  return compiled ? [compiled] : ['--import', 'tsx', join(root, SOURCES[name])];
}

/** The compiled entry point of `name` (rehearsal, core, mock-idp, gateway) when dist/ is current, else undefined. */
export function compiledEntry(name, root = repositoryRoot()) {
  return distIsCurrent(root) ? join(root, 'dist', `${name}.js`) : undefined;
}
