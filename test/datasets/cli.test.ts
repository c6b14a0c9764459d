/** `gymnosd datasets list | info | ingest | clear`, through the command module (registered by the CLI). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tempDir } from './fixtures.js';
import { captureCli } from '../cli/capture.js';

const t = tempDir();
test.after(t.cleanup);

const cli = (args: string[]) => captureCli(args);

test('datasets ingest (built-in and spec file), list, info, clear', async () => {
  const cache = t.path('cache');
  let r = await cli(['datasets', 'ingest', 'iris', '--cache-dir', cache]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ingested: iris +[0-9a-f]{12} +150 samples +3 classes +4 features/);
  r = await cli(['datasets', 'ingest', 'iris', '--cache-dir', cache]);
  assert.match(r.out, /^cached: iris/);
  const spec = t.path('exp.json');
  writeFileSync(spec, JSON.stringify({ dataset: { type: 'digits', split: { validation: 0.1 } } }));
  r = await cli(['datasets', 'ingest', spec, '--cache-dir', cache, '--json']);
  assert.equal(JSON.parse(r.out).count, 1797);
  r = await cli(['datasets', 'list', '--cache-dir', cache]);
  assert.match(
    r.out,
    /^sources: image_folder, csv, arrow, idx, digits, iris\ncached in .*:\n(digits|iris) .*\n(digits|iris) /,
  );
  r = await cli(['datasets', 'info', 'iris', '--cache-dir', cache]);
  assert.match(r.out, /classes: +setosa \(50\), versicolor \(50\), virginica \(50\)/);
  r = await cli(['datasets', 'info', 'mnist', '--cache-dir', cache]);
  assert.equal(r.code, 2);
  assert.match(r.err, /no cached dataset matches 'mnist'/);
  r = await cli(['datasets', 'ingest', 'nothing-here.json', '--cache-dir', cache]);
  assert.equal(r.code, 2);
  assert.match(r.err, /'nothing-here.json' is neither a dataset source/);
  r = await cli(['datasets', 'clear', '--cache-dir', cache]);
  assert.equal(r.out, `removed 4 file(s) from ${cache}\n`);
  r = await cli(['datasets', 'list', '--cache-dir', cache]);
  assert.match(r.out, /no cached datasets/);
});
