#!/usr/bin/env node
// Packs Gymnos for npm the way napi-rs projects do: the main package `gymnos` (TypeScript build,
// zoo presets, examples, the crate's sources for a build from source) plus one package per
// platform with a prebuilt addon, npm/<tag>/ -> @gymnos/native-<tag>, which the main package lists
// in `optionalDependencies` (npm installs only the one whose os/cpu/libc match).
//
// The main package is staged in a temporary folder with its published manifest: the
// optionalDependencies of the platform packages packed now (exact version), an `install` script
// (scripts/install-native.mjs: build from source when no prebuilt addon fits), and none of the
// development scripts. The repository's package.json is not modified.
//
//   node scripts/pack.mjs [--out dir] [--host-addon] [--json]
//     --out dir      where the .tgz files go (default: pack/)
//     --host-addon   for a platform folder without its addon, use this machine's build from
//                    native/ (not portable: it needs this machine's glibc; for tests)
//     --json         print {main, platforms: [{tag, name, file, addon, portable}]} on stdout
// Build first: npx tsc -p tsconfig.build.json; the portable linux-x64-gnu addon comes from
// scripts/build-native-linux-gnu.sh (root, debootstrap).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const out = resolve(opt('--out') ?? join(root, 'pack'));
const hostAddon = argv.includes('--host-addon');
const json = argv.includes('--json');
const log = (m) => process.stderr.write(`pack: ${m}\n`);
const die = (m) => {
  process.stderr.write(`pack: ${m}\n`);
  process.exit(1);
};

const PLATFORM = { linux: ['linux'], darwin: ['darwin'], win32: ['win32'] };
const LIBC = { gnu: 'glibc', musl: 'musl' };

function npm(args, cwd) {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (r.status !== 0) die(`npm ${args.join(' ')} failed in ${cwd}:\n${r.stderr}`);
  return r.stdout;
}

function packInto(dir) {
  const [info] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', out], dir));
  return {
    file: join(out, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
    entryCount: info.entryCount,
  };
}

/** This machine's tag, as src/native/locate.ts computes it. */
function hostTag() {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  return `${platform}-${arch}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

const main = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (!existsSync(join(root, 'dist', 'src', 'index.js')))
  die('dist/src/index.js is missing: build first (npx tsc -p tsconfig.build.json)');
mkdirSync(out, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'gymnos-pack-'));
try {
  // Platform packages: check each manifest against its folder's tag, then pack those with an addon.
  const platforms = [];
  for (const tag of readdirSync(join(root, 'npm')).sort()) {
    const dir = join(root, 'npm', tag);
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const [os, cpu, libc] = tag.split('-');
    const want = { name: `@gymnos/native-${tag}`, version: main.version, main: `gymnos-native.${tag}.node` };
    for (const [k, v] of Object.entries(want))
      if (pkg[k] !== v) die(`${file}: "${k}" is ${JSON.stringify(pkg[k])}; expected ${JSON.stringify(v)}`);
    if (JSON.stringify(pkg.os) !== JSON.stringify(PLATFORM[os] ?? [os]))
      die(`${file}: "os" must be ["${os}"] for ${tag}`);
    if (JSON.stringify(pkg.cpu) !== JSON.stringify([cpu])) die(`${file}: "cpu" must be ["${cpu}"] for ${tag}`);
    if (libc && JSON.stringify(pkg.libc) !== JSON.stringify([LIBC[libc]]))
      die(`${file}: "libc" must be ["${LIBC[libc]}"] for ${tag}`);
    let addon = join(dir, pkg.main);
    let portable = true;
    let from = dir;
    if (!existsSync(addon)) {
      const local = join(root, 'native', pkg.main);
      if (!(hostAddon && tag === hostTag() && existsSync(local))) {
        log(
          `skipping ${pkg.name}: ${addon} is not built` +
            (tag === 'linux-x64-gnu' ? ' (scripts/build-native-linux-gnu.sh builds it)' : ''),
        );
        continue;
      }
      from = join(stage, 'npm', tag);
      mkdirSync(from, { recursive: true });
      for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(from, f));
      copyFileSync(local, join(from, pkg.main));
      addon = local;
      portable = false;
      log(
        `${pkg.name}: using this machine's build ${local} (--host-addon): it needs this machine's glibc, not for publishing`,
      );
    }
    platforms.push({ tag, name: pkg.name, addon, portable, ...packInto(from) });
  }
  if (platforms.length === 0)
    die('no platform package has its addon: build one (scripts/build-native-linux-gnu.sh) or pass --host-addon');

  // The main package: npm's own file list (package.json `files`), copied into the stage.
  // A plain `npm pack` (and a git install) keeps this machine's build native/*.node, found first
  // by the loader; the published package gets its addon from the platform packages instead.
  const listed = JSON.parse(npm(['pack', '--dry-run', '--ignore-scripts', '--json'], root))[0]
    .files.map((f) => f.path)
    .filter((p) => !/^native\/[^/]+\.node$/.test(p));
  const mainStage = join(stage, 'gymnos');
  for (const rel of listed) {
    mkdirSync(dirname(join(mainStage, rel)), { recursive: true });
    cpSync(join(root, rel), join(mainStage, rel));
  }
  const published = { ...main };
  published.scripts = { install: 'node scripts/install-native.mjs' };
  published.optionalDependencies = Object.fromEntries(platforms.map((p) => [p.name, main.version]));
  delete published.devDependencies;
  delete published.allowScripts;
  writeFileSync(join(mainStage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
  const packed = packInto(mainStage);
  for (const p of [packed, ...platforms])
    log(`${p.file}: ${p.size} bytes (${p.unpackedSize} unpacked, ${p.entryCount} files)`);
  if (json) process.stdout.write(`${JSON.stringify({ main: packed, platforms }, null, 2)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
