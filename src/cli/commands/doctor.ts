/** `gymnosd doctor`: what this machine offers Gymnos, and what is missing with the remedy. */
import { accessSync, constants, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { loadLogging, loadSystem } from '../../config/index.js';
import { SessionManager } from '../../sessions/session-manager.js';
import { withConfigFiles } from '../experiment-args.js';

function dirStatus(p: string): string {
  if (!existsSync(p)) {
    let parent = dirname(p);
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    try { accessSync(parent, constants.W_OK); return 'absent (will be created)'; } catch { return `absent, and ${parent} is not writable`; }
  }
  try { accessSync(p, constants.W_OK); return 'ok (writable)'; } catch { return 'not writable'; }
}

export const doctorCommand = {
  command: 'doctor',
  describe: 'Report Node, ONNX Runtime and its execution providers that load here, the native data engine, CPU cores, and the run/cache/dataset directories with the config files in use',
  builder: (y: Argv) => withConfigFiles(y).option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
  handler: async (a: { json: boolean; system?: string; logging?: string }): Promise<number> => {
    const system = loadSystem(a.system);
    const logging = loadLogging(a.logging);
    const report: Record<string, unknown> = { node: process.versions.node, cpu: { model: cpus()[0]?.model.trim(), cores: cpus().length }, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1) };
    const sessions = new SessionManager({ device: 'cpu' });
    try {
      report.onnxruntime = (await sessions.platform()).versions;
      report.executionProviders = await sessions.available();
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
    report.directories = { runsDir: [system.runsDir, dirStatus(system.runsDir)], cacheDir: [system.cacheDir, dirStatus(system.cacheDir)], datasetsDir: [system.datasetsDir, dirStatus(system.datasetsDir)] };
    report.configFiles = { system: system.source, logging: logging.source };
    report.sessionProfiles = Object.keys(system.sessionProfiles);
    if (a.json) { process.stdout.write(`${JSON.stringify(report, null, 2)}\n`); return 0; }
    const lines: string[] = [];
    for (const [k, v] of Object.entries(report)) {
      if (k === 'executionProviders') {
        lines.push('execution providers:');
        for (const p of v as Array<{ provider: string; available: boolean; reason?: string }>) lines.push(`  ${p.provider.padEnd(7)} ${p.available ? 'loads' : `unavailable: ${p.reason ?? ''}`}`);
      } else if (k === 'nativeAddon' && !(v as { ok: boolean }).ok) {
        // the loader's advice is several lines (what was looked for, what to run here): keep them readable
        lines.push('nativeAddon: not available', ...String((v as { error: string }).error).split('\n').map((l) => `  ${l}`));
      } else lines.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
