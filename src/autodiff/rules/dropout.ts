/**
 * Dropout's gradient in the graph autodiff sees. For training, `rewriteForTraining` replaces every
 * Dropout with a seeded mask computed in the graph (and the mask multiplication is differentiated
 * like any Mul); a Dropout still present is in inference form, the identity.
 */
import { AutodiffError, type GradRuleFamily } from '../rule.js';

export const dropoutFamily: GradRuleFamily = {
  family: 'dropout',
  rules: {
    Dropout: (c) => {
      const mode = c.x(2) ? c.value(c.x(2)) : [0];
      if (!mode || mode[0] !== 0) {
        throw new AutodiffError(
          `${c.where}: a Dropout in training mode must be rewritten with rewriteForTraining before autodiff (its mask is random)`,
        );
      }
      return [c.dy(0), undefined, undefined];
    },
  },
};
