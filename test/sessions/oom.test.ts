/**
 * Out of memory is a user error: ONNX Runtime's allocation failures (a real one, forced with an
 * address-space limit on a child process, and the messages of its other allocators) become
 * ERR_OUT_OF_MEMORY with the peak and the remedies, which gymnosd maps to exit code 2; other run
 * failures stay what they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { outOfMemoryError, OOM_REMEDIES } from '../../src/sessions/oom.js';
import { isUserError } from '../../src/cli/errors.js';

test('allocation failure messages map to ERR_OUT_OF_MEMORY naming the peak, the request and the remedies', () => {
  const ort =
    "Non-zero status code returned while running Expand node. Name:'e' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:360 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*) Failed to allocate memory for requested buffer of size 4000000000";
  const e = outOfMemoryError(new Error(ort), 'the training step', 1536 * 2 ** 20)!;
  assert.equal(e.code, 'ERR_OUT_OF_MEMORY');
  assert.match(
    e.message,
    /^out of memory in the training step: the process had reached a peak of 1536 MiB resident, asking for 3815 MiB more \(/,
  );
  assert.ok(e.message.endsWith(OOM_REMEDIES));
  for (const k of ['training.batchSize', 'training.gradientAccumulation', 'training.recompute'])
    assert.ok(e.message.includes(k), k);
  assert.ok(!e.message.includes('\n'));
  assert.ok(isUserError(e));
  for (const m of [
    'std::bad_alloc',
    'Available memory of 100 is smaller than requested bytes of 2097152',
    'RangeError: Array buffer allocation failed',
  ]) {
    assert.equal(outOfMemoryError(new Error(m), 'x', 1)?.code, 'ERR_OUT_OF_MEMORY', m);
  }
  assert.match(
    outOfMemoryError(new Error('Available memory of 100 is smaller than requested bytes of 2097152'), 'x', 1)!.message,
    /asking for 2 MiB more/,
  );
  assert.equal(outOfMemoryError(new Error('Got invalid dimensions for input: x'), 'x'), undefined);
});

test(
  'a real ONNX Runtime allocation failure under an address-space limit is ERR_OUT_OF_MEMORY',
  { skip: process.platform !== 'linux' },
  () => {
    const child = fileURLToPath(new URL('./oom-child.ts', import.meta.url));
    // 8 GB of address space: enough for Node (with WebAssembly guard regions off: tsx uses WebAssembly) and ORT, not
    // for the 20 GB tensor the model asks for
    const r = spawnSync(
      'bash',
      ['-c', `ulimit -v 8000000 && exec "${process.execPath}" --disable-wasm-trap-handler --import tsx "${child}"`],
      { encoding: 'utf8' },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, `child failed (exit ${r.status}): ${r.stderr.slice(-1500)}`);
    const got = JSON.parse(line.slice(7)) as { code: string; message: string };
    assert.equal(got.code, 'ERR_OUT_OF_MEMORY', got.message);
    assert.match(got.message, /asking for 19073 MiB more/);
  },
);
