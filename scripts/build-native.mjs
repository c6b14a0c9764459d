#!/usr/bin/env node
// Builds the Rust data engine in native/ and copies the addon to
// native/gymnos-native.<platform>-<arch>[-gnu|-musl].node, where src/native/binding.ts looks for it.
// Offline-safe: the crate depends on Rust std only, and cargo runs with --offline.
// Usage: node scripts/build-native.mjs [--debug] [--clean]
//   --clean   remove cargo's target/ afterwards (an installed copy keeps only the addon)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nativeDir = join(root, 'native');
const debug = process.argv.includes('--debug');
const clean = process.argv.includes('--clean');
const installed = root.split(sep).includes('node_modules');

/** Platform tag used in the addon file name (same scheme as @napi-rs/cli). */
export function platformTag() {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  const report = process.report?.getReport?.();
  const glibc = report && typeof report === 'object' && report.header && report.header.glibcVersionRuntime;
  return `${platform}-${arch}-${glibc ? 'gnu' : 'musl'}`;
}

function libraryName() {
  if (process.platform === 'win32') return 'gymnos_native.dll';
  if (process.platform === 'darwin') return 'libgymnos_native.dylib';
  return 'libgymnos_native.so';
}

const cargo = process.env.CARGO ?? 'cargo';
const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.error(
    `gymnos: cannot run '${cargo}' (${probe.error?.message ?? probe.stderr?.trim() ?? 'unknown error'}).\n` +
      'The native data engine is a Rust crate (native/) that needs the Rust toolchain (cargo + rustc >= 1.70):\n' +
      '  Debian/Ubuntu: apt-get install cargo rustc    or    https://rustup.rs\n' +
      (installed
        ? `then run: node ${join(root, 'scripts', 'build-native.mjs')}`
        : 'then run: npm run build:native   (node scripts/build-native.mjs)'),
  );
  process.exit(1);
}

const args = ['build', '--offline', '--manifest-path', join(nativeDir, 'Cargo.toml')];
if (!debug) args.push('--release');
const env = { ...process.env };
if (process.platform === 'darwin') {
  // Node-API symbols resolve when node loads the addon.
  env.RUSTFLAGS = `${env.RUSTFLAGS ?? ''} -C link-arg=-undefined -C link-arg=dynamic_lookup`.trim();
}
console.error(`gymnos: ${cargo} ${args.join(' ')}`);
const r = spawnSync(cargo, args, { stdio: 'inherit', env, cwd: nativeDir });
if (r.status !== 0) {
  console.error('gymnos: building the native data engine failed (see the cargo output above).');
  process.exit(r.status ?? 1);
}
const built = join(nativeDir, 'target', debug ? 'debug' : 'release', libraryName());
if (!existsSync(built)) {
  console.error(`gymnos: cargo succeeded but ${built} is missing.`);
  process.exit(1);
}
const dest = join(nativeDir, `gymnos-native.${platformTag()}.node`);
// Copy then rename, so a process that has the old addon loaded keeps a valid file.
const tmp = `${dest}.tmp-${process.pid}`;
copyFileSync(built, tmp);
renameSync(tmp, dest);
if (clean) rmSync(join(nativeDir, 'target'), { recursive: true, force: true });
console.error(`gymnos: native addon ready at ${dest}`);
