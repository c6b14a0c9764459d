/**
 * AdamW, PyTorch's `torch.optim.AdamW`: Adam whose weight decay is decoupled from the gradient,
 * p <- p (1 - lr wd) before the Adam step. PyTorch's default weight_decay here is 0.01.
 */
import { buildAdam, readAdamOptions, type AdamOptions } from './adam.js';
import type { OptimizerDef } from './optimizer.js';

export const adamw: OptimizerDef<AdamOptions> = {
  name: 'adamw',
  validate: (options, where = 'optimizer') => readAdamOptions(options, where, 1e-2),
  build(b, o, p, ctx) { return buildAdam(b, o, p, ctx, true, this.name); },
};
