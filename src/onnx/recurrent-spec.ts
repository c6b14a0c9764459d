/**
 * The attributes of ONNX LSTM and GRU nodes, read and validated once for the reference
 * interpreter, shape inference and the gradient rules. Only the default activations are
 * supported (LSTM: Sigmoid/Tanh/Tanh, GRU: Sigmoid/Tanh), without `clip` or `input_forget`.
 */
import { attrInt, attrString, type Node } from './ir.js';

export type RecurrentOp = 'LSTM' | 'GRU';

export interface RecurrentSpec {
  op: RecurrentOp;
  /** Gates per direction: 4 (LSTM: i, o, f, c) or 3 (GRU: z, r, h). */
  gates: number;
  /** hidden_size, or undefined when the node does not state it (then R's last axis gives it). */
  hidden?: number;
  direction: 'forward' | 'reverse' | 'bidirectional';
  numDirections: number;
  /** 0: X is [seq, batch, input]; 1: X is [batch, seq, input]. */
  layout: number;
  /** GRU only: apply the reset gate after the recurrent MatMul (PyTorch exports 1). */
  linearBeforeReset: number;
}

const DEFAULT_ACTIVATIONS: Record<RecurrentOp, string[]> = {
  LSTM: ['sigmoid', 'tanh', 'tanh'],
  GRU: ['sigmoid', 'tanh'],
};

/** Reads and checks the attributes of an LSTM or GRU node; errors name the node and the fix. */
export function recurrentSpec(node: Node): RecurrentSpec {
  const op = node.opType as RecurrentOp;
  const where = `node '${node.name}' (${op})`;
  if (op !== 'LSTM' && op !== 'GRU') throw new Error(`${where}: not a recurrent node`);
  const direction = attrString(node, 'direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw new Error(`${where}: direction '${direction}' is not one of forward, reverse, bidirectional`);
  }
  const numDirections = direction === 'bidirectional' ? 2 : 1;
  const acts = node.attrs.activations;
  if (acts) {
    const got = acts.type === 'strings' ? acts.value.map((s) => s.toLowerCase()) : [];
    const want = Array.from({ length: numDirections }, () => DEFAULT_ACTIVATIONS[op]).flat();
    if (got.length !== want.length || got.some((a, i) => a !== want[i])) {
      throw new Error(
        `${where}: activations [${acts.type === 'strings' ? acts.value.join(', ') : '?'}] are not supported; only the defaults (${DEFAULT_ACTIVATIONS[op].join(', ')} per direction) are. Re-export the model with standard ${op} cells`,
      );
    }
  }
  if (node.attrs.activation_alpha || node.attrs.activation_beta) {
    throw new Error(
      `${where}: activation_alpha/activation_beta are not supported (only the default activations are); re-export with standard ${op} cells`,
    );
  }
  if (node.attrs.clip)
    throw new Error(`${where}: cell clipping ('clip' attribute) is not supported; re-export without clipping`);
  if (op === 'LSTM' && attrInt(node, 'input_forget', 0) !== 0) {
    throw new Error(
      `${where}: input_forget=1 (coupled input and forget gates) is not supported; re-export with input_forget=0`,
    );
  }
  const layout = attrInt(node, 'layout', 0);
  if (layout !== 0 && layout !== 1) throw new Error(`${where}: layout must be 0 or 1, got ${layout}`);
  const hidden = node.attrs.hidden_size ? attrInt(node, 'hidden_size') : undefined;
  return {
    op,
    gates: op === 'LSTM' ? 4 : 3,
    hidden,
    direction,
    numDirections,
    layout,
    linearBeforeReset: op === 'GRU' ? attrInt(node, 'linear_before_reset', 0) : 0,
  };
}
