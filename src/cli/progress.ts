/**
 * Progress output of `gymnosd train`: on a TTY one line per epoch that updates in place as batches
 * finish; elsewhere nothing per batch (the log's epoch lines are the record).
 */
import type { TrainerEvent } from '../trainer/events.js';

export function progressPrinter(out: NodeJS.WriteStream = process.stderr): (e: TrainerEvent) => void {
  if (!out.isTTY) return () => undefined;
  let last = 0;
  let open = false;
  return (e) => {
    switch (e.type) {
      case 'batchEnd': {
        const now = Date.now();
        if (now - last < 100 && e.batch < e.batches) return;
        last = now;
        const width = 24;
        const done = Math.round((width * e.batch) / Math.max(1, e.batches));
        out.write(`\r\x1b[2Kepoch ${e.epoch + 1} [${'='.repeat(done)}${' '.repeat(width - done)}] ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)} lr ${e.lr.toPrecision(3)}`);
        open = true;
        return;
      }
      case 'epochEnd': case 'stop': case 'error': case 'validationEnd':
        if (open) { out.write('\r\x1b[2K'); open = false; }
        return;
      case 'fitStart': case 'epochStart': case 'checkpointSaved': case 'testEnd': case 'fitEnd':
        return;
    }
  };
}
