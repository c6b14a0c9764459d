/**
 * Gymnos as a dependency of someone else's project: scripts/pack.mjs packs the main package and
 * the platform package(s); a fresh project in a temporary folder (no repository files around)
 * installs them from the tarballs (npm's cache, onnxruntime-node's CUDA download skipped), and runs
 * `gymnosd models list|show`, doctor, the quickstart, the fine-tuning example on its result and an
 * image-folder training from there. Then, with the platform package removed, the error and the
 * install step say what to do in that project. About a minute on 2 idle cores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gymnos-install-'));
const app = join(work, 'app');

// npm run by `npm test` exports npm_config_* (local prefix, user agent, ...) that would point a
// nested npm back at this repository: the consumer gets a clean environment.
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
env.ONNXRUNTIME_NODE_INSTALL = 'skip';
env.npm_config_update_notifier = 'false';
delete env.GYMNOS_NATIVE_ADDON;

function run(cmd: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 64 << 20 });
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}
const gymnosd = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  run(join(app, 'node_modules', '.bin', 'gymnosd'), args, app, extra);
/** The test-split accuracy a run recorded in its metrics.jsonl. */
function testAccuracy(run: string): number {
  const lines = readFileSync(join(app, 'runs', run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; test?: { accuracy: number } });
  const acc = lines.find((l) => l.kind === 'test')?.test?.accuracy;
  assert.equal(typeof acc, 'number', `runs/${run}/metrics.jsonl has no test accuracy`);
  return acc as number;
}

interface Packed {
  file: string;
  size: number;
}
interface PackResult {
  main: Packed;
  platforms: (Packed & { tag: string; name: string; addon: string; portable: boolean })[];
}

test('the packed package installs into a fresh project and trains there', { timeout: 900_000 }, async (t) => {
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const packed = JSON.parse(
    ok(
      run(
        process.execPath,
        [join(root, 'scripts', 'pack.mjs'), '--out', join(work, 'pack'), '--host-addon', '--json'],
        root,
      ),
      'pack.mjs',
    ),
  ) as PackResult;
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

  await t.test('the main tarball ships what the CLI reads, and no addon, source maps or development scripts', () => {
    const entries = ok(run('tar', ['-tzf', packed.main.file], work), 'tar').split('\n');
    for (const f of [
      'dist/src/cli/bin.js',
      'models/resnet20.json',
      'examples/quickstart.json',
      'examples/data/progression.csv',
      'scripts/make-shapes.mjs',
      'scripts/install-native.mjs',
      'native/src/lib.rs',
      'data/builtin',
    ])
      assert.ok(
        entries.some((e) => e.startsWith(`package/${f}`)),
        `package/${f} is not in the tarball`,
      );
    assert.deepEqual(
      entries.filter((e) => e.endsWith('.map') || e.endsWith('.node') || (e.endsWith('.ts') && !e.endsWith('.d.ts'))),
      [],
    );
    const manifest = JSON.parse(
      ok(run('tar', ['-xOzf', packed.main.file, 'package/package.json'], work), 'tar'),
    ) as Record<string, unknown>;
    assert.deepEqual(manifest.optionalDependencies, Object.fromEntries(packed.platforms.map((p) => [p.name, version])));
    assert.deepEqual(manifest.scripts, { install: 'node scripts/install-native.mjs' });
    assert.equal(manifest.devDependencies, undefined);
  });

  await t.test("a portable linux-x64-gnu addon needs no glibc newer than Debian 11's", (tt) => {
    const x64 = packed.platforms.find((p) => p.tag === 'linux-x64-gnu');
    if (!x64?.portable) {
      tt.diagnostic(
        "packed this machine's own build (--host-addon): run scripts/build-native-linux-gnu.sh to pack the portable one",
      );
      return;
    }
    const syms = ok(run('objdump', ['-T', x64.addon], work), 'objdump -T');
    const versions = [...new Set(syms.match(/GLIBC_[\d.]+/g) ?? [])].map((v) => v.slice(6).split('.').map(Number));
    assert.ok(versions.length > 0, 'objdump found no GLIBC symbol versions');
    const newest = versions.sort((a, b) => a[0] - b[0] || (a[1] ?? 0) - (b[1] ?? 0))[versions.length - 1];
    assert.ok(newest[0] === 2 && newest[1] <= 31, `the addon needs GLIBC_${newest.join('.')}, newer than 2.31`);
  });

  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  ok(
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        packed.main.file,
        ...packed.platforms.map((p) => p.file),
      ],
      app,
    ),
    'npm install',
  );

  await t.test('models list|show read the shipped zoo presets', () => {
    assert.match(ok(gymnosd(['models', 'list']), 'models list'), /resnet20 +\{"type":"resnet","depth":20\}/);
    assert.match(ok(gymnosd(['models', 'show', 'resnet20']), 'models show'), /input +input: float32 \[N, 3, 32, 32\]/);
  });

  await t.test('doctor finds the addon in the platform package', () => {
    const report = JSON.parse(ok(gymnosd(['doctor', '--json']), 'doctor')) as {
      nativeAddon: { ok: boolean; path: string };
    };
    assert.equal(report.nativeAddon.ok, true);
    assert.equal(
      report.nativeAddon.path,
      join(app, 'node_modules', '@gymnos', 'native-linux-x64-gnu', 'gymnos-native.linux-x64-gnu.node'),
    );
  });

  const examples = join(app, 'node_modules', 'gymnos', 'examples');
  await t.test("the quickstart reaches the README's accuracy, and the fine-tuning example trains on its model", () => {
    ok(gymnosd(['train', join(examples, 'quickstart.json'), '--output', 'runs/quickstart-base']), 'quickstart');
    assert.ok(
      testAccuracy('quickstart-base') >= 0.95,
      `quickstart test accuracy ${testAccuracy('quickstart-base')} < 0.95`,
    );
    const model = join(app, 'runs', 'quickstart-base', 'model.onnx');
    assert.ok(existsSync(model));
    ok(
      gymnosd([
        'train',
        join(examples, 'finetune-onnx.json'),
        '--set',
        `model.path=${model}`,
        '--output',
        'runs/finetune',
      ]),
      'finetune',
    );
    assert.ok(testAccuracy('finetune') > 0.5, `fine-tuning test accuracy ${testAccuracy('finetune')}`);
  });

  const shapes = join(app, 'shapes');
  const imageRun = (output: string) =>
    gymnosd([
      'train',
      join(examples, 'image-folder.json'),
      '--set',
      `dataset.path=${shapes}`,
      '--set',
      'training.epochs=3',
      '--output',
      `runs/${output}`,
    ]);
  await t.test('an image-folder training runs through the native loader', () => {
    ok(
      run(process.execPath, [join(app, 'node_modules', 'gymnos', 'scripts', 'make-shapes.mjs'), shapes, '30'], app),
      'make-shapes',
    );
    ok(imageRun('shapes'), 'image-folder training');
    assert.ok(
      testAccuracy('shapes') > 1 / 3,
      `image-folder test accuracy ${testAccuracy('shapes')} is not above chance (3 classes)`,
    );
    assert.ok(existsSync(join(app, 'runs', 'shapes', 'model.onnx')));
    // runs and the dataset cache go to the project, not into the installed package
    assert.ok(existsSync(join(app, '.gymnos', 'cache')));
    assert.ok(!existsSync(join(examples, '.gymnos')) && !existsSync(join(examples, 'runs')));
  });

  await t.test('without the platform package the error and the install step say what to do in this project', () => {
    const pkgDir = join(app, 'node_modules', '@gymnos');
    renameSync(pkgDir, `${pkgDir}.away`);
    try {
      const r = imageRun('shapes-without-addon');
      assert.notEqual(r.status, 0);
      const err = r.stderr + r.stdout;
      assert.match(err, /@gymnos\/native-linux-x64-gnu \(not installed\)/);
      assert.match(err, /--omit=optional/);
      assert.ok(err.includes(`node ${join(app, 'node_modules', 'gymnos', 'scripts', 'build-native.mjs')}`), err);
      assert.doesNotMatch(err, /npm run build:native/);
      const doctor = ok(gymnosd(['doctor']), 'doctor');
      assert.match(
        doctor,
        /^nativeAddon: not available\n {2}gymnos: the native data engine is missing for this platform \(linux-x64-gnu/m,
      );
      assert.match(doctor, /^ {2}A prebuilt addon exists for linux-x64-gnu/m);
      const install = run(
        process.execPath,
        [join(app, 'node_modules', 'gymnos', 'scripts', 'install-native.mjs')],
        app,
        { CARGO: join(work, 'no-cargo') },
      );
      assert.equal(install.status, 0, 'the install step must not fail the install');
      assert.match(
        install.stderr,
        /no prebuilt native data engine fits this platform \(linux-x64-gnu\), and Rust's cargo is not installed/,
      );
    } finally {
      renameSync(`${pkgDir}.away`, pkgDir);
    }
  });
});
