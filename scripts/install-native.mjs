#!/usr/bin/env node
// The published package's `install` script (scripts/pack.mjs adds it; the repository builds in
// `prepare` instead). Nothing to do when an addon loads here: the platform package
// @gymnos/native-<tag> that npm picked from optionalDependencies, or an earlier build. Otherwise
// it builds the addon from the shipped crate sources when cargo is present. It never fails the
// install: without an addon, the features that need it fail with the explanation of
// src/native/locate.ts (what was looked for and what to run).
//   GYMNOS_SKIP_NATIVE_BUILD=1   do not try cargo
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const say = (m) => process.stderr.write(`gymnos: ${m}\n`);
const locate = await import('../dist/src/native/locate.js');
const { loadBindingFrom } = await import('../dist/src/native/binding.js');

const found = locate.addonCandidates().find((c) => c.path !== undefined);
if (found?.path) {
  try {
    loadBindingFrom(found.path);
    process.exit(0);
  } catch (e) {
    say(`the native data engine from the ${found.source} does not load here: ${e.message}`);
  }
}
if (process.env.GYMNOS_SKIP_NATIVE_BUILD) {
  say(`no native data engine for ${locate.platformTag()} and GYMNOS_SKIP_NATIVE_BUILD is set: not building it.`);
  process.exit(0);
}
const cargo = process.env.CARGO ?? 'cargo';
const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  say(
    `no prebuilt native data engine fits this platform (${locate.platformTag()}), and Rust's cargo is not installed to build one.\n` +
      'Tabular data (csv, iris, digits) trains without it; image datasets stream through it and fail until it is built.\n' +
      `${locate.missingAddonMessage()}`,
  );
  process.exit(0);
}
say(`no prebuilt native data engine fits ${locate.platformTag()}: building it from source with ${probe.stdout.trim()}`);
const build = fileURLToPath(new URL('./build-native.mjs', import.meta.url));
const r = spawnSync(process.execPath, [build, '--clean'], { stdio: 'inherit' });
if (r.status !== 0) say(`building the native data engine failed (see above); rerun later with: node ${build}`);
process.exit(0);
