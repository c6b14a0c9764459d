/**
 * Where the addon comes from and what the user is told when it is missing: the development
 * checkout and an installed copy get different remedies, and the prebuilt platform packages in
 * npm/ agree with the loader's list and with the main package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PREBUILT_TAGS,
  addonCandidates,
  isInstalledCopy,
  missingAddonMessage,
  packageRoot,
  platformPackage,
  type AddonCandidate,
} from '../../src/native/locate.js';
import { addonPath, loadBinding } from '../../src/native/binding.js';

const root = packageRoot();
const none: AddonCandidate[] = [
  { source: 'build from source', looked: '/x/native/gymnos-native.linux-arm64-gnu.node' },
  { source: 'platform package', looked: '@gymnos/native-linux-arm64-gnu' },
];

test('in a development checkout the remedy is npm run build:native', () => {
  assert.equal(isInstalledCopy(root), false);
  const m = missingAddonMessage(none, root, 'linux-arm64-gnu');
  assert.match(m, /missing for this platform \(linux-arm64-gnu/);
  assert.match(m, /- build from source: \/x\/native\/gymnos-native\.linux-arm64-gnu\.node \(does not exist\)/);
  assert.match(m, /- platform package: @gymnos\/native-linux-arm64-gnu \(not installed\)/);
  assert.match(m, /development checkout: build it with `npm run build:native`/);
});

test('in an installed copy the remedy names the optional package or the build script by its path, never npm run build:native', () => {
  const installed = '/srv/app/node_modules/gymnos';
  assert.equal(isInstalledCopy(installed), true);
  const prebuilt = missingAddonMessage(none, installed, 'linux-x64-gnu');
  assert.match(prebuilt, /npm installs @gymnos\/native-linux-x64-gnu as an optional dependency/);
  assert.match(prebuilt, /--omit=optional/);
  assert.match(prebuilt, /node \/srv\/app\/node_modules\/gymnos\/scripts\/build-native\.mjs/);
  assert.doesNotMatch(prebuilt, /npm run build:native/);
  const other = missingAddonMessage(none, installed, 'linux-riscv64-gnu');
  assert.match(other, /No prebuilt addon is published for linux-riscv64-gnu \(prebuilt: linux-x64-gnu\)/);
  assert.match(other, /apt-get install cargo/);
});

test('GYMNOS_NATIVE_ADDON comes first, and addonPath() is the file that loads', () => {
  const before = process.env.GYMNOS_NATIVE_ADDON;
  const file = join(mkdtempSync(join(tmpdir(), 'gymnos-addon-')), 'x.node');
  writeFileSync(file, '');
  try {
    process.env.GYMNOS_NATIVE_ADDON = file;
    const c = addonCandidates();
    assert.deepEqual(
      c.map((x) => x.source),
      ['GYMNOS_NATIVE_ADDON', 'build from source', 'platform package'],
    );
    assert.equal(c[0].path, file);
    assert.equal(addonPath(), file);
    process.env.GYMNOS_NATIVE_ADDON = `${file}.absent`;
    assert.equal(addonCandidates()[0].path, undefined);
    assert.throws(() => loadBinding(), /GYMNOS_NATIVE_ADDON is set to .*\.absent, which does not exist/);
  } finally {
    if (before === undefined) delete process.env.GYMNOS_NATIVE_ADDON;
    else process.env.GYMNOS_NATIVE_ADDON = before;
  }
  // here (a checkout with a build) the addon comes from native/ and loads
  assert.equal(addonPath(), addonCandidates().find((c) => c.source === 'build from source')?.path);
  assert.equal(typeof loadBinding().open, 'function');
});

test("the platform packages in npm/ are the loader's PREBUILT_TAGS, each with a manifest that fits its tag and the main version", () => {
  const main = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; files: string[] };
  const dirs = readdirSync(join(root, 'npm'))
    .filter((d) => existsSync(join(root, 'npm', d, 'package.json')))
    .sort();
  assert.deepEqual(dirs, [...PREBUILT_TAGS].sort());
  for (const tag of dirs) {
    const pkg = JSON.parse(readFileSync(join(root, 'npm', tag, 'package.json'), 'utf8')) as Record<string, unknown>;
    const [os, cpu, libc] = tag.split('-');
    assert.equal(pkg.name, platformPackage(tag));
    assert.equal(pkg.version, main.version, `npm/${tag}/package.json version must be the main package's`);
    assert.deepEqual(pkg.os, [os]);
    assert.deepEqual(pkg.cpu, [cpu]);
    assert.deepEqual(pkg.libc, [libc === 'gnu' ? 'glibc' : 'musl']);
    assert.deepEqual(pkg.files, [`gymnos-native.${tag}.node`]);
  }
  // the zoo presets ship (gymnosd models list|show read them) and source maps do not
  assert.ok(main.files.includes('models'));
  assert.ok(main.files.includes('!dist/src/**/*.map'));
});
