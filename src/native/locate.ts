/**
 * Where the native addon comes from, in the order tried:
 *
 * 1. `GYMNOS_NATIVE_ADDON`: an explicit file (a build made elsewhere);
 * 2. `<package>/native/gymnos-native.<tag>.node`: a build from source, i.e. a development checkout
 *    after `npm run build:native`, or an installed package whose install step ran cargo;
 * 3. the platform package `@gymnos/native-<tag>` (npm/<tag>/ in the repository), which npm
 *    installs from `optionalDependencies` where its `os`, `cpu` and `libc` match.
 *
 * When none exists, `missingAddonMessage` says which were looked for and what to do in the
 * situation at hand (development checkout or installed dependency).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Platforms with a prebuilt package `@gymnos/native-<tag>` (keep in step with npm/). */
export const PREBUILT_TAGS: readonly string[] = ['linux-x64-gnu'];

/** Platform tag in the addon's file name, e.g. `linux-x64-gnu` (same scheme as @napi-rs/cli). */
export function platformTag(): string {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return `${platform}-${arch}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

/** npm name of the prebuilt addon package for `tag`. */
export function platformPackage(tag = platformTag()): string {
  return `@gymnos/native-${tag}`;
}

/** The nearest directory at or above `start` that holds a package.json. */
export function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`gymnos: no package.json found above ${start}`);
    dir = up;
  }
}

/** Root of the gymnos package this module belongs to (repository or node_modules/gymnos). */
export function packageRoot(): string {
  return findPackageRoot(dirname(fileURLToPath(import.meta.url)));
}

/** True when gymnos runs from an installed copy (inside a node_modules folder), not a checkout. */
export function isInstalledCopy(root = packageRoot()): boolean {
  return root.split(sep).includes('node_modules');
}

/** Where a build from source puts the addon. */
export function localAddonPath(root = packageRoot()): string {
  return join(root, 'native', `gymnos-native.${platformTag()}.node`);
}

/** One place the addon may come from. `path` is undefined when it is not there. */
export interface AddonCandidate {
  source: 'GYMNOS_NATIVE_ADDON' | 'build from source' | 'platform package';
  /** What was looked for, for messages. */
  looked: string;
  path?: string;
}

/** Every place the addon may come from, in the order tried. */
export function addonCandidates(): AddonCandidate[] {
  const out: AddonCandidate[] = [];
  const env = process.env.GYMNOS_NATIVE_ADDON;
  if (env) out.push({ source: 'GYMNOS_NATIVE_ADDON', looked: env, path: existsSync(env) ? env : undefined });
  const local = localAddonPath();
  out.push({ source: 'build from source', looked: local, path: existsSync(local) ? local : undefined });
  const pkg = platformPackage();
  let resolved: string | undefined;
  try {
    resolved = createRequire(import.meta.url).resolve(pkg);
  } catch {
    resolved = undefined;
  }
  out.push({ source: 'platform package', looked: pkg, path: resolved });
  return out;
}

/** The remedy when no candidate exists: what was looked for, and what to run here. */
export function missingAddonMessage(
  candidates: AddonCandidate[] = addonCandidates(),
  root = packageRoot(),
  tag = platformTag(),
): string {
  const lines = [
    `gymnos: the native data engine is missing for this platform (${tag}, Node ${process.versions.node}). Looked for:`,
  ];
  for (const c of candidates)
    lines.push(
      `  - ${c.source}: ${c.looked} (${c.source === 'platform package' ? 'not installed' : 'does not exist'})`,
    );
  if (isInstalledCopy(root)) {
    if (PREBUILT_TAGS.includes(tag)) {
      lines.push(
        `A prebuilt addon exists for ${tag}: npm installs ${platformPackage(tag)} as an optional dependency of gymnos. ` +
          'It is left out by `--omit=optional` (or `--no-optional`), and can be left out by a package-lock.json written on another platform: ' +
          `reinstall without those, or add it directly: npm install ${platformPackage(tag)}@<gymnos's version>.`,
      );
    } else {
      lines.push(`No prebuilt addon is published for ${tag} (prebuilt: ${PREBUILT_TAGS.join(', ')}).`);
    }
    lines.push(`Or ${buildRemedy(root)}`);
  } else lines.push(`This is a development checkout: ${buildRemedy(root)}`);
  lines.push('Or point GYMNOS_NATIVE_ADDON at an addon file built elsewhere.');
  return lines.join('\n');
}

/** How to build the addon from source, worded for a checkout or an installed copy. */
export function buildRemedy(root = packageRoot()): string {
  const rust =
    'needs the Rust toolchain, cargo and rustc >= 1.70 (https://rustup.rs, or Debian/Ubuntu: apt-get install cargo); the crate uses only the standard library, no downloads';
  return isInstalledCopy(root)
    ? `build it from source: node ${join(root, 'scripts', 'build-native.mjs')}   (${rust}).`
    : `build it with \`npm run build:native\` (node scripts/build-native.mjs; ${rust}).`;
}
