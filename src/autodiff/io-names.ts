/** Names of the inputs and outputs Gymnos adds to training graphs. */
export const IO_NAMES = {
  label: 'gymnos.label',
  lr: 'gymnos.lr',
  step: 'gymnos.step',
  seed: 'gymnos.seed',
  loss: 'gymnos.loss',
  gradNorm: 'gymnos.grad_norm',
} as const;
