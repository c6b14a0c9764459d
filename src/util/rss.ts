/**
 * The process's resident memory: now, and the peak ("high-water mark") since start or since the
 * last reset. Sessions run in a worker thread of the same process, so the process peak includes
 * ONNX Runtime's arena and every tensor of a training step.
 *
 * Linux keeps the peak in /proc/self/status (VmHWM); writing "5" to /proc/self/clear_refs resets
 * it to the current size (Linux >= 4.0), which gives per-epoch peaks. Elsewhere (or when the write
 * is refused) the peak is `process.resourceUsage().maxRSS`, a running maximum that never resets.
 */
import { readFileSync, writeFileSync } from 'node:fs';

function statusField(field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size in bytes since the process started or since the last `resetPeakRss()`. */
export function peakRssBytes(): number {
  return statusField('VmHWM') ?? process.resourceUsage().maxRSS * 1024;
}

/** Resident set size now, in bytes. */
export function currentRssBytes(): number {
  return statusField('VmRSS') ?? process.memoryUsage.rss();
}

/**
 * Resets the peak to the current resident size. Returns false where that is not possible (not
 * Linux, or /proc/self/clear_refs not writable): the peak is then a running maximum.
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
