/**
 * The model registry, built from the zoo modules' exports (one file per architecture under
 * `zoo/`). Adding an architecture means adding its module to ZOO; nothing else changes.
 */
import type { ZooModel } from './zoo/def.js';
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
export const ZOO: ReadonlyArray<ZooModel<never>> = [
  mlp,
  cnn,
  lenet5,
  resnet,
  mobilenetV2,
  vgg,
  textClassifier,
  transformerEncoder,
] as ZooModel<never>[];

const BY_NAME = new Map(ZOO.map((m) => [m.name, m]));
if (BY_NAME.size !== ZOO.length) throw new Error('model zoo: two architectures share a name');

/** The architecture named `name`, if any. */
export function zooModel(name: string): ZooModel<unknown> | undefined {
  return BY_NAME.get(name) as ZooModel<unknown> | undefined;
}

/** Names of the built-in architectures. */
export function zooNames(): string[] {
  return ZOO.map((m) => m.name);
}
