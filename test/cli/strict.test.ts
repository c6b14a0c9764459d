/**
 * gymnosd's argument parsing is strict: unknown commands and options, extra or missing arguments,
 * bad numbers and invalid choices are one-line user errors (exit 2) with a suggestion, and nothing
 * runs; options may come before or after the positional arguments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closest, editDistance, printable } from '../../src/cli/args.js';
import { captureCli } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'gymnos-strict-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const exp = join(dir, 'q.json');
writeFileSync(
  exp,
  JSON.stringify({
    dataset: { type: 'iris' },
    model: { type: 'mlp', hidden: [4] },
    training: { epochs: 3, batchSize: 16 },
  }),
);
const quiet = join(dir, 'logging.json');
writeFileSync(quiet, JSON.stringify({ console: { enabled: false } }));

/** Runs gymnosd and asserts a one-line user error (exit 2) with nothing on stdout. */
async function refused(args: string[]): Promise<string> {
  const r = await captureCli(args);
  assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}${r.out}`);
  assert.equal(r.out, '', args.join(' '));
  assert.match(r.err, /^gymnosd: [^\n]+\n$/, `one line expected for ${args.join(' ')}: ${r.err}`);
  return r.err.slice('gymnosd: '.length, -1);
}

test('an unknown option is refused with the closest option, and nothing is trained', async () => {
  const out = join(dir, 'X');
  const msg = await refused(['train', exp, '--ouput', out, '--epochs', '1', '--logging', quiet]);
  assert.match(
    msg,
    /^unknown option --ouput \(did you mean --output\?\); unknown option --epochs; see gymnosd train --help$/,
  );
  assert.equal(existsSync(out), false);
  assert.equal(existsSync(join(dir, 'runs')), false);
  assert.match(await refused(['validate', exp, '--bogus']), /^unknown option --bogus; see gymnosd validate --help$/);
  assert.match(
    await refused(['report', join(dir, 'r'), '--ot', 'x.html']),
    /^unknown option --ot \(did you mean --out\?\)/,
  );
  assert.match(await refused(['check', 'm.onnx', '--jsn']), /unknown option --jsn \(did you mean --json\?\)/);
  assert.match(await refused(['validate', exp, '-x']), /^unknown option -x;/);
  // hidden options are not suggested
  assert.doesNotMatch(await refused(['train', exp, '--backnd', 'null']), /did you mean --backend/);
});

test('a mistyped command suggests the closest one; no command lists them', async () => {
  assert.match(
    await refused(['trian', exp]),
    /^unknown command 'trian' \(did you mean train\?\); the commands are train, validate, /,
  );
  assert.match(await refused(['gradchek', 'm.onnx']), /did you mean gradcheck\?/);
  assert.match(await refused(['frobnicate']), /^unknown command 'frobnicate'; the commands are/);
  assert.match(await refused([]), /^name a command: train, validate, /);
});

test('numbers are checked as typed; extra, missing and repeated arguments are errors', async () => {
  assert.equal(await refused(['validate', exp, '--seed', 'abc']), "expected an integer >= 0 for --seed but got 'abc'");
  assert.equal(await refused(['train', exp, '--seed', '1.5']), "expected an integer >= 0 for --seed but got '1.5'");
  assert.equal(
    await refused(['gradcheck', 'm.onnx', '--batch', '0']),
    "expected an integer >= 1 for --batch but got '0'",
  );
  assert.equal(
    await refused(['gradcheck', 'm.onnx', '--tolerance', 'tiny']),
    "expected a number > 0 for --tolerance but got 'tiny'",
  );
  assert.equal(
    await refused(['predict', 'm.onnx', 'a.csv', '--batch', 'NaN']),
    "expected an integer >= 1 for --batch but got 'NaN'",
  );
  assert.equal(await refused(['validate', exp, '--seed']), '--seed needs a value');
  assert.equal(
    await refused(['validate', exp, '--seed', '1', '--seed', '2']),
    "--seed was given 2 times ('1', '2'); give it once",
  );
  assert.equal(
    await refused(['train', exp, '--output', 'a', '--output', 'b']),
    "--output was given 2 times ('a', 'b'); give it once",
  );
  assert.match(
    await refused(['validate', exp, 'extra']),
    /^unexpected argument 'extra' \(usage: gymnosd validate <experiment>\)/,
  );
  assert.equal(await refused(['validate']), 'missing an argument (usage: gymnosd validate <experiment>)');
  assert.equal(
    await refused(['evaluate', 'run', '--split', 'tst']),
    "expected one of test, validation, train for --split but got 'tst' (did you mean test?)",
  );
  assert.equal(
    await refused(['datasets', 'lst']),
    "expected one of list, info, ingest, clear for <action> but got 'lst' (did you mean list?)",
  );
  // control characters in what the user typed are escaped, not echoed
  assert.match(await refused(['validate', exp, '--seed', 'a\x1b[2Jb']), /got 'a\\x1b\[2Jb'/);
});

test('option order is free: --set takes one value and never swallows the experiment file', async () => {
  const r = await captureCli([
    'validate',
    '--set',
    'training.epochs=2',
    '--set',
    'training.batchSize=8',
    exp,
    '--seed',
    '4',
  ]);
  assert.equal(r.code, 0, r.err);
  const c = JSON.parse(r.out);
  assert.deepEqual([c.experiment.name, c.training.epochs, c.training.batchSize, c.training.seed], ['q', 2, 8, 4]);
  const out = join(dir, 'run-set-first');
  const t = await captureCli([
    'train',
    '--set',
    'training.epochs=1',
    exp,
    '--output',
    out,
    '--backend',
    'null',
    '--logging',
    quiet,
  ]);
  assert.equal(t.code, 0, t.err);
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).training.epochs, 1);
});

test(
  'the built binary exits 2 with one line for an unknown option',
  { skip: !existsSync('dist/src/cli/bin.js') && 'dist/ not built' },
  () => {
    const r = spawnSync(process.execPath, ['dist/src/cli/bin.js', 'validate', exp, '--bogus'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'gymnosd: unknown option --bogus; see gymnosd validate --help\n');
  },
);

test('suggestions and escaping helpers', () => {
  assert.equal(editDistance('ouput', 'output'), 1);
  assert.equal(editDistance('trian', 'train'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(closest('ouput', ['resume', 'output', 'seed']), 'output');
  assert.equal(closest('zzzzzz', ['resume', 'output', 'seed']), undefined);
  assert.equal(closest('out', ['output', 'resume']), 'output');
  assert.equal(printable('a\x00b\x7f\u202ec\n'), 'a\\x00b\\x7f\\u{202e}c\\x0a');
});
