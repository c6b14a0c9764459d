/**
 * Named presets of the zoo: the JSON files in the package's top-level `models/` folder, each a
 * `model` block (`{ "type": "resnet", "depth": 20 }`) with an optional `$comment`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from './errors.js';

export interface ModelPreset {
  name: string;
  comment?: string;
  spec: { type: string; [k: string]: unknown };
}

/** The package's `models/` folder (from src/ or dist/src/). */
export function presetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return join(dir, 'models');
  }
  throw new ModelError('cannot find the model zoo folder models/ next to the gymnos package');
}

/** Every preset, sorted by name. */
export function listPresets(dir = presetsDir()): ModelPreset[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const raw = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
      const { $comment, ...spec } = raw;
      if (typeof spec.type !== 'string') throw new ModelError(`${join(dir, f)}: a preset needs a "type"`);
      return {
        name: f.slice(0, -5),
        comment: typeof $comment === 'string' ? $comment : undefined,
        spec: spec as ModelPreset['spec'],
      };
    });
}
