/**
 * PyTorch as a peer (bench/peers/pytorch_peer.py) run by Debian's `python3-torch`: the
 * interpreter is /usr/bin/python3 (the `python3` on PATH may be another one without torch;
 * GYMNOS_BENCH_PYTHON overrides it). `probeTorch` says whether it is there and which BLAS it
 * loads; when it is not, the benchmark prints why and goes on without it.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeBlas, parsePeerOutput, type TorchProbe } from './results.js';

export const PYTHON = process.env.GYMNOS_BENCH_PYTHON ?? '/usr/bin/python3';
export const TORCH_SCRIPT = fileURLToPath(new URL('./pytorch_peer.py', import.meta.url));

export type TorchAvailability =
  { ok: true; probe: TorchProbe; blas: string; fast: boolean } | { ok: false; why: string };

/** Runs the script's `--probe` (imports torch, one matmul and one conv, reads /proc/self/maps). */
export function probeTorch(python = PYTHON): TorchAvailability {
  if (!existsSync(python))
    return {
      ok: false,
      why: `${python} is absent (install python3-torch libopenblas0-pthread, or set GYMNOS_BENCH_PYTHON)`,
    };
  const r = spawnSync(python, [TORCH_SCRIPT, '--probe'], { encoding: 'utf8', timeout: 120_000 });
  const parsed = parsePeerOutput(r.stdout ?? '', 'pytorch probe');
  if (r.status !== 0 || !parsed.probe) {
    const err = (r.error?.message ?? (r.stderr ?? '').trim().split('\n').slice(-1)[0]) || `exit ${r.status}`;
    return {
      ok: false,
      why: `${python} cannot run the PyTorch peer (${err}); install python3-torch libopenblas0-pthread`,
    };
  }
  const d = describeBlas(parsed.probe);
  return { ok: true, probe: parsed.probe, blas: d.line, fast: d.fast };
}

/** Arguments of one PyTorch child run. */
export function torchArgs(threads: number, workloads: string[], epochs: number, steps?: number): string[] {
  return [
    TORCH_SCRIPT,
    '--threads',
    String(threads),
    '--workloads',
    workloads.join(','),
    '--warmup',
    '1',
    '--epochs',
    String(epochs),
    ...(steps ? ['--steps', String(steps)] : []),
  ];
}
