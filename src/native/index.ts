/**
 * The native data engine's public TypeScript API: plan types and validation, the loader, errors,
 * helpers. Its TypeScript oracle (test/native/oracle/) lives with the tests and is not shipped.
 */
export { NativeLoader, type Batch, type LoaderInfo, type OpenOptions } from './loader.js';
export {
  validatePlan,
  PlanError,
  type LoaderPlan,
  type NormalizedPlan,
  type NormalizedTransform,
  type ImageTransform,
  type BatchTransform,
  type ImageDataPlan,
  type TabularDataPlan,
  type LoaderCursor,
  type Size,
} from './plan.js';
export { NativeLoaderError, type NativeErrorCode } from './errors.js';
export { loadBinding, addonPath, platformTag, platformPackage, type NativeStats } from './binding.js';
