/**
 * The float64 reference interpreter: an ONNX evaluator independent of ONNX Runtime, used as the
 * oracle of the gradient checks. See `interpreter.ts`.
 */
export { evaluateGraph, supportedReferenceOps } from './interpreter.js';
export type { EvaluateOptions, RefTensor } from './interpreter.js';
export { refToTensor } from './interpreter.js';
