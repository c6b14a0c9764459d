/**
 * Whether the WebGPU tests run here. They need a WebGPU adapter: on a machine without a GPU, Mesa's
 * software Vulkan driver (lavapipe) from Debian bookworm-backports gives Dawn one. Where the
 * adapter is expected (CI=true, or GYMNOS_REQUIRE_WEBGPU=1 as `.ci/run` sets) a missing adapter is a
 * failing test that says what to install; elsewhere the tests are skipped with the reason shown.
 */
import { OrtBackend } from '../../src/sessions/ort-backend.js';
import type { ProviderReport } from '../../src/sessions/types.js';

export const WEBGPU_REMEDY =
  "install Mesa's Vulkan driver from Debian bookworm-backports " +
  '(echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list; ' +
  "apt-get update; apt-get install -t bookworm-backports mesa-vulkan-drivers; bookworm's own 22.3 is rejected by Dawn) " +
  'or run on a machine with a GPU and its Vulkan driver, and set XDG_RUNTIME_DIR (.ci/run does all of this)';

export interface WebgpuGate {
  /** The adapter was found. */
  available: boolean;
  /** CI=true or GYMNOS_REQUIRE_WEBGPU=1: a missing adapter fails instead of skipping. */
  required: boolean;
  /** Why WebGPU does not load (when it does not). */
  reason?: string;
  /** For `test(..., { skip })`: false when the test must run (available, or required so it fails). */
  skip: string | false;
}

/** Probes the WebGPU provider once per test file. */
export async function webgpuGate(env: NodeJS.ProcessEnv = process.env): Promise<WebgpuGate> {
  return decideGate(
    env,
    (await new OrtBackend().available()).find((r) => r.provider === 'webgpu'),
  );
}

/** The gate from the environment and the provider probe's report. */
export function decideGate(env: NodeJS.ProcessEnv, report: ProviderReport | undefined): WebgpuGate {
  const required = env.CI === 'true' || env.GYMNOS_REQUIRE_WEBGPU === '1';
  const available = report?.available === true;
  const reason = available ? undefined : (report?.reason ?? 'onnxruntime-node reported no webgpu provider');
  const skip = available || required ? false : `no WebGPU adapter here (${reason}); to run it, ${WEBGPU_REMEDY}`;
  return { available, required, reason, skip };
}

/** Throws the CI failure when the adapter is required but missing; call first in each WebGPU test. */
export function assertWebgpu(gate: WebgpuGate): void {
  if (gate.available) return;
  throw new Error(
    `a WebGPU adapter is required here (CI=true or GYMNOS_REQUIRE_WEBGPU=1) but none was found: ${gate.reason}. ` +
      `To fix it, ${WEBGPU_REMEDY}.`,
  );
}
