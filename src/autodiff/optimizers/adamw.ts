/**
 * AdamW, PyTorch's `torch.optim.AdamW`: Adam whose weight decay is decoupled from the gradient,
 * p <- p (1 - lr wd) before the Adam step. PyTorch's default weight_decay here is 0.01.
 */
import { component } from '../../config/component.js';
import { adamOptions, createAdam } from './adam.js';

export const adamw = component({
  type: 'adamw',
  description: "Adam with decoupled weight decay (PyTorch's AdamW)",
  options: adamOptions(1e-2, 'decoupled weight decay: p <- p (1 - lr wd) before each step'),
  create: (r) => createAdam(r, true, 'adamw'),
});
