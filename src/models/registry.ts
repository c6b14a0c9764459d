/**
 * The model zoo registry, built from the zoo modules' exports (one Component per architecture
 * under `zoo/`). Adding an architecture means adding its module to ZOO; nothing else changes: the
 * experiment schema, `gymnosd schema` and `gymnosd models` read their options from here.
 */
import { Registry } from '../config/component.js';
import type { Model } from '../onnx/ir.js';
import type { BuildContext, ZooModel } from './zoo/def.js';
import { mlp } from './zoo/mlp.js';
import { cnn } from './zoo/cnn.js';
import { lenet5 } from './zoo/lenet5.js';
import { resnet } from './zoo/resnet.js';
import { mobilenetV2 } from './zoo/mobilenet-v2.js';
import { vgg } from './zoo/vgg.js';
import { textClassifier } from './zoo/text-classifier.js';
import { transformerEncoder } from './zoo/transformer-encoder.js';

export type { ZooModel, BuildContext, DatasetInfo } from './zoo/def.js';

/** Every built-in architecture, in the order `gymnosd models list` shows them. */
export const ZOO = new Registry<ZooModel>('model', [
  mlp,
  cnn,
  lenet5,
  resnet,
  mobilenetV2,
  vgg,
  textClassifier,
  transformerEncoder,
]);

/** An architecture for code that starts from raw options (scripts, benchmarks): validate once, then build. */
export interface ZooBuilder {
  readonly component: ZooModel;
  /** Checks raw options (without `type`) at config path `path`; a ConfigError names every bad key. */
  validate(options: unknown, path: string): Record<string, unknown>;
  /** Builds the model from `validate`'s result. */
  build(resolved: Record<string, unknown>, ctx: BuildContext): Model;
}

/** The architecture named `name`, if any, with its raw-options path. */
export function zooModel(name: string): ZooBuilder | undefined {
  const component = ZOO.get(name);
  if (!component) return undefined;
  return {
    component,
    validate(options, path) {
      const raw =
        options === undefined || options === null
          ? { type: name }
          : typeof options === 'object' && !Array.isArray(options)
            ? { ...options, type: name }
            : options;
      const { type: _t, ...resolved } = ZOO.resolve(raw, path);
      return resolved;
    },
    build: (resolved, ctx) => component.create(resolved, ctx),
  };
}

/** Names of the built-in architectures. */
export function zooNames(): string[] {
  return ZOO.types();
}
