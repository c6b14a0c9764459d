/**
 * LSTM and GRU text classifiers exported by PyTorch (scripts/fixtures/export_recurrent.py): one SGD
 * step in Gymnos against PyTorch autograd's, every weight within 1e-5 relative, then export and
 * reload. Covers Embedding -> LSTM/GRU (batch_first, uni- and bidirectional) -> Linear.
 */
import { test } from 'node:test';
import { checkAgainstTorch } from './torch-reference.js';

for (const name of ['lstm-text', 'bilstm-text', 'gru-text', 'bigru-text']) {
  test(`${name}: one step matches PyTorch, exports and reloads`, async (t) => {
    const r = await checkAgainstTorch(name, { batchSizes: [1, 3] });
    t.diagnostic(
      `${name}: worst weight ${r.maxRelError.param}[${r.maxRelError.index}] rel ${r.maxRelError.rel.toExponential(2)}; worst step error ${r.maxStepError.rel.toExponential(2)}`,
    );
  });
}
