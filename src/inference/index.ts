/** The library's inference API: `predict` on raw inputs and `evaluate` on a dataset split. */
export {
  predict,
  predictionRecords,
  type PredictOptions,
  type PredictResult,
  type PredictRecord,
  type ModelSource,
} from './predict.js';
export { evaluate, type EvaluateOptions, type EvaluateResult, type SplitName } from './evaluate.js';
export { readInputs, IMAGE_EXTENSIONS, type SampleBlock, type InputSpec, type ReadOptions } from './inputs.js';
