/**
 * Execution-provider resolution: parses `session.device`, and explains (naming the missing shared
 * libraries and how to get them) why a provider cannot load. The CUDA provider of onnxruntime-node
 * is not in its npm package: its install script fetches `libonnxruntime_providers_cuda.so` and
 * `libonnxruntime_providers_shared.so` from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux), and they in
 * turn need the CUDA 12 runtime and cuDNN 9 on the library path.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { SessionError } from './errors.js';
import type { DeviceRequest, ExecutionProvider } from './types.js';

/** Providers in the order 'auto' tries them (WebGPU only when asked for by name). */
export const AUTO_ORDER: ExecutionProvider[] = ['cuda', 'cpu'];

const CHOICES = 'cpu, cuda, cuda:N, webgpu or auto';

/** Parses 'cpu' | 'cuda' | 'cuda:N' | 'webgpu' | 'auto'; `path` names the config field in errors. */
export function parseDevice(value: unknown, path = 'session.device'): DeviceRequest {
  const fail = (hint = ''): never => {
    throw new SessionError(
      'ERR_SESSION_CONFIG',
      `expected ${CHOICES} for ${path} but got ${JSON.stringify(value)}${hint}`,
    );
  };
  if (typeof value !== 'string') return fail();
  if (value === 'auto') return { kind: 'auto' };
  if (value === 'cpu' || value === 'webgpu') return { kind: 'device', provider: value, deviceId: 0 };
  if (value === 'cuda') return { kind: 'device', provider: 'cuda', deviceId: 0 };
  const m = /^cuda:(\d+)$/.exec(value);
  if (m) return { kind: 'device', provider: 'cuda', deviceId: Number(m[1]) };
  const lower = value.trim().toLowerCase();
  if (lower === 'gpu' || lower.startsWith('cuda') || lower.startsWith('gpu:'))
    return fail(" (for an NVIDIA GPU write 'cuda' or 'cuda:N')");
  if (lower !== value) return fail(` (did you mean '${lower}'?)`);
  return fail();
}

/** Formats a device back to its config spelling. */
export function deviceLabel(provider: ExecutionProvider, deviceId: number): string {
  return provider === 'cuda' ? `cuda:${deviceId}` : provider;
}

/** The folder holding onnxruntime-node's native libraries for this platform, if installed. */
export function ortBinaryDir(): string | undefined {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  } catch {
    return undefined;
  }
  const bin = join(dirname(pkg), 'bin');
  const napi = existsSync(bin)
    ? readdirSync(bin)
        .filter((d) => d.startsWith('napi-v'))
        .sort()
    : [];
  for (const v of napi.reverse()) {
    const dir = join(bin, v, process.platform, process.arch);
    if (existsSync(dir)) return dir;
  }
  return undefined;
}

/** Files the CUDA provider needs next to onnxruntime-node's binding. */
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

/** System libraries the CUDA provider links (CUDA 12 runtime, cuBLAS, cuFFT, cuRAND, cuDNN 9, driver). */
export const CUDA_SYSTEM_LIBS = [
  'libcuda.so.1',
  'libcudart.so.12',
  'libcublas.so.12',
  'libcublasLt.so.12',
  'libcufft.so.11',
  'libcurand.so.10',
  'libcudnn.so.9',
];

/** Shared-library names the dynamic loader can find (ldconfig cache plus LD_LIBRARY_PATH). */
export function loadableLibraries(): Set<string> {
  const names = new Set<string>();
  try {
    const out = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const line of out.split('\n')) {
      const m = /^\s*(\S+)\s+\(/.exec(line);
      if (m) names.add(m[1]);
    }
  } catch {
    /* no ldconfig: rely on LD_LIBRARY_PATH alone */
  }
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    try {
      for (const f of readdirSync(dir)) names.add(f);
    } catch {
      /* unreadable entry */
    }
  }
  return names;
}

/** Libraries `ldd` reports as "not found" for `file` (undefined when ldd cannot run). */
function lddMissing(file: string): string[] | undefined {
  try {
    const out = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .filter((l) => l.includes('not found'))
      .map((l) => l.trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

/** What stands between this machine and the CUDA provider. Empty `missing` means nothing found. */
export interface CudaDiagnosis {
  binaryDir?: string;
  /** Provider files missing from onnxruntime-node's folder. */
  missingProviderFiles: string[];
  /** System libraries the loader cannot find. */
  missingSystemLibs: string[];
  /** Other versions present (e.g. libcudart.so.13 when .12 is needed). */
  otherVersions: string[];
}

/** Checks the files the CUDA provider needs. Cheap: a directory listing and `ldconfig -p`. */
export function diagnoseCuda(): CudaDiagnosis {
  const binaryDir = ortBinaryDir();
  const missingProviderFiles = binaryDir
    ? CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(binaryDir, f)))
    : [...CUDA_PROVIDER_FILES];
  const libs = loadableLibraries();
  let missingSystemLibs: string[];
  const provider = binaryDir && join(binaryDir, CUDA_PROVIDER_FILES[0]);
  const fromLdd = provider && missingProviderFiles.length === 0 ? lddMissing(provider) : undefined;
  if (fromLdd) missingSystemLibs = fromLdd;
  else missingSystemLibs = CUDA_SYSTEM_LIBS.filter((l) => !libs.has(l));
  const otherVersions: string[] = [];
  for (const lib of missingSystemLibs) {
    const stem = lib.replace(/\.so.*$/, '.so.');
    for (const have of libs) if (have.startsWith(stem) && have !== lib) otherVersions.push(have);
  }
  return { binaryDir, missingProviderFiles, missingSystemLibs, otherVersions: [...new Set(otherVersions)].sort() };
}

/** The remedy text for a missing CUDA provider. */
export function cudaUnavailableMessage(device: string, d: CudaDiagnosis, ortMessage?: string): string {
  const rel = d.binaryDir && relative(process.cwd(), d.binaryDir);
  const where = d.binaryDir
    ? rel && !rel.startsWith('..')
      ? rel
      : d.binaryDir
    : 'node_modules/onnxruntime-node (not installed)';
  const parts = [
    `session.device '${device}' cannot be used: ONNX Runtime's CUDA execution provider does not load here.`,
  ];
  if (d.missingProviderFiles.length) {
    // binaryDir is <onnxruntime-node>/bin/napi-vN/<platform>/<arch>: its install script sits in
    // <onnxruntime-node>/script
    const script = d.binaryDir
      ? join(d.binaryDir, '..', '..', '..', '..', 'script', 'install.js')
      : 'node_modules/onnxruntime-node/script/install.js';
    const scriptRel = relative(process.cwd(), script);
    parts.push(
      `Missing from ${where}: ${d.missingProviderFiles.join(', ')} (onnxruntime-node's npm package does not bundle them; ` +
        `its install script fetches them from NuGet, unless skipped by ONNXRUNTIME_NODE_INSTALL=skip or an allowScripts entry that denies it: ` +
        `run \`ONNXRUNTIME_NODE_INSTALL=cuda12 node ${scriptRel && !scriptRel.startsWith('..') ? scriptRel : script}\` with network access to api.nuget.org).`,
    );
  }
  if (d.missingSystemLibs.length) {
    const other = d.otherVersions.length
      ? ` (found ${d.otherVersions.join(', ')}, which this build of ONNX Runtime does not use)`
      : '';
    parts.push(
      `The dynamic loader cannot find ${d.missingSystemLibs.join(', ')}${other}: install the CUDA 12 runtime and cuDNN 9 ` +
        `(e.g. the nvidia-cuda-runtime-cu12, nvidia-cublas-cu12, nvidia-cufft-cu12, nvidia-curand-cu12 and nvidia-cudnn-cu12 wheels, or the CUDA toolkit) ` +
        `and add their lib folders to LD_LIBRARY_PATH.`,
    );
  }
  parts.push(
    `Or run in Gymnos's CUDA docker image (docker/Dockerfile.cuda in the Gymnos repository), which has all of these; or set session.device to 'cpu' or 'auto'.`,
  );
  if (ortMessage) parts.push(`ONNX Runtime said: ${ortMessage.trim()}`);
  return parts.join(' ');
}

/** How to get a software WebGPU adapter on Debian 12 (bookworm's own Mesa 22.3 is rejected by Dawn). */
export const SOFTWARE_VULKAN =
  'mesa-vulkan-drivers 23 or newer (on Debian 12 from bookworm-backports: ' +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers` after adding `deb http://deb.debian.org/debian bookworm-backports main` to the apt sources), ' +
  'with XDG_RUNTIME_DIR set';

/** The remedy text for WebGPU failing to start (`ortMessage` undefined: not attempted). */
export function webgpuUnavailableMessage(ortMessage?: string): string {
  const vulkan = loadableLibraries().has('libvulkan.so.1');
  const adapter =
    ortMessage === undefined || /adapter/i.test(ortMessage)
      ? 'no WebGPU adapter was found'
      : 'the WebGPU provider failed to start';
  return (
    `session.device 'webgpu' cannot be used: ${adapter}. ` +
    (vulkan
      ? 'libvulkan.so.1 is present; check that a GPU with a Vulkan driver is visible (`gymnosd doctor` lists the Vulkan devices). '
      : 'WebGPU on Linux runs over Vulkan, and libvulkan.so.1 is missing: install the Vulkan loader (libvulkan1) and a GPU driver with Vulkan support. ') +
    `Without a GPU, Mesa's software Vulkan driver works: ${SOFTWARE_VULKAN}. ` +
    `Or set session.device to 'cpu', 'cuda' or 'auto'.` +
    (ortMessage === undefined ? '' : ` ONNX Runtime said: ${firstLine(ortMessage)}`)
  );
}

/** The readable part of an ORT error: first line, without the source location and failed check. */
function firstLine(s: string): string {
  const line = (
    s
      .trim()
      .split('\n')
      .find((l) => l.trim()) ?? s
  )
    .replace(/^\S*onnxruntime_src\S*\s+/, '')
    .trim();
  const afterCheck = /\bwas false\.\s+(.*)$/.exec(line);
  return afterCheck ? afterCheck[1] : line;
}
