// Compiles the CLI and the three services to JavaScript in dist/ with esbuild, so
// that nothing is compiled at run time: one bundle per entry point, shared code in
// chunks, each CLI command in a chunk of its own (loaded when it runs). npm packages
// stay outside the bundles and load from node_modules, except those a workspace pins
// at a version of its own (nested node_modules), which are bundled in.
// `node scripts/build.mjs` builds; `--if-stale` builds only when a source changed.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { distIsCurrent, repositoryRoot, SOURCES } from './dist.mjs';

const root = repositoryRoot();
if (process.argv.includes('--if-stale') && distIsCurrent(root)) process.exit(0);

const esbuild = await import('esbuild');
const rootModules = join(root, 'node_modules') + sep;

/** Bare imports that resolve to the root node_modules stay external; workspaces and nested pins are bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length) return { errors: resolved.errors };
      const inRoot = resolved.path.startsWith(rootModules) && !resolved.path.slice(rootModules.length).startsWith(`@rehearsal${sep}`);
      return inRoot ? { path: args.path, external: true } : resolved;
    });
  },
};

const started = Date.now();
const outdir = join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: SOURCES,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS (a nested pin) may require() Node's built-ins: give ESM a require.
  banner: { js: "import { createRequire as __rehearsalRequire } from 'node:module'; const require = __rehearsalRequire(import.meta.url);" },
  plugins: [externalPackages],
});
const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
// The manifest is written last: a build cut short leaves no manifest, so the next start builds again.
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ builtAt: started, inputs: [...inputs, 'package-lock.json'] }, null, 2) + '\n');
const version = JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
console.error(`[rehearsal] compiled ${inputs.length} sources to ${relative(process.cwd(), outdir) || '.'}/ in ${Date.now() - started} ms (esbuild ${version})`);
