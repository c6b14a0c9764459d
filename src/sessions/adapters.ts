/**
 * WebGPU adapters, probed in a child process. Dawn (ONNX Runtime's WebGPU) and the Vulkan drivers
 * print warnings straight to the process's stderr from C++ (e.g. lavapipe's "artificially
 * reduced" limits), which no option silences; probing in a child keeps them out of the user's
 * terminal (they are returned as `log`, shown by `gymnosd doctor --verbose`), and keeps Dawn out
 * of a process that only asked what is available.
 *
 * On Linux Dawn's adapters are the Vulkan devices. They are listed through Mesa's device-select
 * layer (installed with Mesa's Vulkan drivers): with MESA_VK_DEVICE_SELECT=list, creating a Vulkan
 * instance prints every device of every installed driver, with its type, and exits. Without that
 * layer the installed Vulkan drivers (ICD manifests) are listed instead.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** One Vulkan device as Dawn sees it. */
export interface Adapter {
  name: string;
  backend: 'vulkan';
  /** 'software' for CPU devices (lavapipe's llvmpipe, SwiftShader), else 'hardware'. */
  kind: 'software' | 'hardware';
  /** Vulkan's device type: CPU, discrete GPU, integrated GPU, virtual GPU, other. */
  type: string;
  /** PCI vendor:device ids in hex. */
  id?: string;
}

export interface AdapterList {
  adapters: Adapter[];
  /** How they were found ('mesa-device-select', or 'icd-manifests' when only drivers are known). */
  via: 'mesa-device-select' | 'icd-manifests' | 'none';
  /** Vulkan drivers installed (ICD manifest files). */
  drivers: string[];
}

const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

/** The Vulkan driver manifests installed (name of the library each loads). */
export function vulkanDrivers(dirs = ICD_DIRS): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith('.json'))
      .sort()) {
      try {
        const lib = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { ICD?: { library_path?: string } }).ICD
          ?.library_path;
        out.push(`${join(dir, f)}${lib ? ` (${lib})` : ''}`);
      } catch {
        out.push(join(dir, f));
      }
    }
  }
  return out;
}

/** Parses the device-select layer's list: `  GPU 0: 10005:0 "llvmpipe (LLVM 15.0.6, 256 bits)" CPU` per device. */
export function parseDeviceSelectList(text: string): Adapter[] {
  const out: Adapter[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*GPU\s+\d+:\s+([0-9a-fA-F]+:[0-9a-fA-F]+)\s+"(.*)"\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    // the type (cpu, discrete GPU, integrated GPU, virtual GPU, other), then the PCI address when known
    const type = m[3].replace(/\s+[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-9a-fA-F]$/, '') || 'other';
    out.push({ name: m[2], backend: 'vulkan', kind: /^cpu$/i.test(type) ? 'software' : 'hardware', type, id: m[1] });
  }
  return out;
}

/** Runs `code` (an ES module) in a child Node process; resolves with its output, never rejects. */
function child(
  code: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let p;
    try {
      p = spawn(process.execPath, ['--input-type=module', '-e', code], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('error', (e) => {
      stderr += e.message;
    });
    p.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout, stderr });
    });
  });
}

/** Where onnxruntime-node's entry is, for the child to import. */
function ortEntry(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch {
    return undefined;
  }
}

/** The script that creates a WebGPU session on `model` (base64 in GYMNOS_PROBE_MODEL) and runs it once. */
function probeScript(entry: string): string {
  return `const m = await import(${JSON.stringify(`file://${entry}`)}); const ort = m.default ?? m;
try {
  const s = await ort.InferenceSession.create(Buffer.from(process.env.GYMNOS_PROBE_MODEL, 'base64'), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
  const y = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 1), [1, 2]) });
  process.stdout.write(JSON.stringify({ ok: true, y: Array.from(y.y.data) }));
} catch (e) { process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message || e) })); }`;
}

/**
 * The Vulkan devices Dawn can pick from; `model` is the provider probe's (creating its session creates the Vulkan
 * instance).
 */
export async function listAdapters(model: Uint8Array, timeoutMs = 30_000): Promise<AdapterList> {
  const drivers = vulkanDrivers();
  const entry = ortEntry();
  if (!drivers.length || !entry) return { adapters: [], via: 'none', drivers };
  // the layer lists the devices when the instance is created (Dawn creates it for the session) and exits
  const r = await child(
    probeScript(entry),
    { MESA_VK_DEVICE_SELECT: 'list', GYMNOS_PROBE_MODEL: Buffer.from(model).toString('base64') },
    timeoutMs,
  );
  const adapters = parseDeviceSelectList(`${r.stdout}\n${r.stderr}`);
  if (adapters.length || /selectable devices:/.test(r.stdout + r.stderr))
    return { adapters, via: 'mesa-device-select', drivers };
  return { adapters: [], via: 'icd-manifests', drivers };
}

/** Creates and runs `model` (the provider probe) on WebGPU in a child process. */
export async function probeWebgpuIsolated(
  model: Uint8Array,
  timeoutMs = 60_000,
): Promise<{ ok: boolean; error?: string; output?: number[]; log: string }> {
  const entry = ortEntry();
  if (!entry) return { ok: false, error: 'onnxruntime-node is not installed', log: '' };
  const r = await child(probeScript(entry), { GYMNOS_PROBE_MODEL: Buffer.from(model).toString('base64') }, timeoutMs);
  const log = r.stderr.trim();
  try {
    const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { ok: boolean; error?: string; y?: number[] };
    return { ok: res.ok, error: res.error, output: res.y, log };
  } catch {
    return {
      ok: false,
      error: `the WebGPU probe process ended with ${r.code === null ? 'a timeout or signal' : `code ${r.code}`} without a result${log ? `: ${log.split('\n').slice(-3).join(' / ')}` : ''}`,
      log,
    };
  }
}
