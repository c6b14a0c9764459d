/** `gymnosd doctor`: what this machine offers Gymnos, and what is missing with the remedy. */
import { accessSync, constants, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { loadLogging } from '../../config/index.js';
import { loadSystem } from '../../experiment/index.js';
import { SessionManager } from '../../sessions/session-manager.js';
import { listAdapters, type AdapterList } from '../../sessions/adapters.js';
import { probeModel } from '../../sessions/ort-backend.js';
import type { ProviderReport } from '../../sessions/types.js';
import { withConfigFiles } from '../experiment-args.js';

function dirStatus(p: string): string {
  if (!existsSync(p)) {
    let parent = dirname(p);
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    try {
      accessSync(parent, constants.W_OK);
      return 'absent (will be created)';
    } catch {
      return `absent, and ${parent} is not writable`;
    }
  }
  try {
    accessSync(p, constants.W_OK);
    return 'ok (writable)';
  } catch {
    return 'not writable';
  }
}

function formatAdapters(l: AdapterList): string[] {
  if (l.via === 'none') return ['webgpu adapters: none (no Vulkan driver installed: WebGPU on Linux runs over Vulkan)'];
  if (l.via === 'icd-manifests')
    return [
      "webgpu adapters: not listed (Mesa's device-select layer is not installed); Vulkan drivers:",
      ...l.drivers.map((d) => `  ${d}`),
    ];
  if (!l.adapters.length) return ['webgpu adapters: none (Vulkan drivers are installed but report no device)'];
  return [
    'webgpu adapters (Vulkan devices):',
    ...l.adapters.map((d) => `  ${d.name}  backend ${d.backend}, ${d.kind} (${d.type}${d.id ? `, ${d.id}` : ''})`),
  ];
}

export const doctorCommand = {
  command: 'doctor',
  describe:
    'Report Node, ONNX Runtime and its execution providers that load here, the WebGPU adapters (Vulkan devices: name, backend, software or hardware), the native data engine, CPU cores, and the run/cache/dataset directories with the config files in use. The providers are probed in child processes: what Dawn and the Vulkan drivers print there is shown only with --verbose',
  builder: (y: Argv) =>
    withConfigFiles(y)
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
      .option('verbose', {
        type: 'boolean',
        default: false,
        describe:
          "also show what the providers' native code printed while probing (Dawn's and the Vulkan driver's warnings)",
      }),
  handler: async (a: { json: boolean; verbose: boolean; system?: string; logging?: string }): Promise<number> => {
    const system = loadSystem(a.system);
    const logging = loadLogging(a.logging);
    const report: Record<string, unknown> = {
      node: process.versions.node,
      cpu: { model: cpus()[0]?.model.trim(), cores: cpus().length },
      memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    };
    const sessions = new SessionManager({ device: 'cpu' });
    try {
      report.onnxruntime = (await sessions.platform()).versions;
      const providers = await sessions.available();
      report.executionProviders = providers.map(({ log, ...p }) => (a.verbose && log ? { ...p, log } : p));
      if (providers.some((p) => p.provider === 'webgpu' && !/has no webgpu provider/.test(p.reason ?? '')))
        report.webgpuAdapters = await listAdapters(probeModel());
    } catch (e) {
      report.onnxruntime = { error: (e as Error).message };
    } finally {
      await sessions.close();
    }
    try {
      const native = await import('../../native/index.js');
      native.loadBinding();
      report.nativeAddon = { ok: true, path: native.addonPath() };
    } catch (e) {
      report.nativeAddon = { ok: false, error: (e as Error).message };
    }
    report.directories = {
      runsDir: [system.runsDir, dirStatus(system.runsDir)],
      cacheDir: [system.cacheDir, dirStatus(system.cacheDir)],
    };
    report.configFiles = { system: system.source, logging: logging.source };
    report.sessionProfiles = Object.keys(system.sessionProfiles);
    if (a.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const lines: string[] = [];
    for (const [k, v] of Object.entries(report)) {
      if (k === 'executionProviders') {
        lines.push('execution providers:');
        for (const p of v as ProviderReport[]) {
          lines.push(`  ${p.provider.padEnd(7)} ${p.available ? 'loads' : `unavailable: ${p.reason ?? ''}`}`);
          if (p.log) lines.push(...p.log.split('\n').map((l) => `          | ${l}`));
        }
      } else if (k === 'webgpuAdapters') {
        lines.push(...formatAdapters(v as AdapterList));
      } else if (k === 'nativeAddon' && !(v as { ok: boolean }).ok) {
        // the loader's advice is several lines (what was looked for, what to run here): keep them readable
        lines.push(
          'nativeAddon: not available',
          ...String((v as { error: string }).error)
            .split('\n')
            .map((l) => `  ${l}`),
        );
      } else lines.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
