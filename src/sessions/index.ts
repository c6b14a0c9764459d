/** The session layer's public surface. */
export type * from './types.js';
export { SessionError, type SessionErrorCode } from './errors.js';
export { validateSessionConfig, sessionSchema, sessionOptions, defaultIntraOpThreads } from './config.js';
export { parseDevice, diagnoseCuda, type CudaDiagnosis } from './providers.js';
export { backendEntries, backendEntry } from './registry.js';
export { NullBackend, type NullBackendOptions, type NullOutputFn, type NullOutputContext } from './null-backend.js';
export { OrtBackend } from './ort-backend.js';
export { SessionWorker, WorkerSession, type SessionWorkerOptions } from './worker-host.js';
export { SessionManager, type SessionManagerOptions, type PlatformReport } from './session-manager.js';
