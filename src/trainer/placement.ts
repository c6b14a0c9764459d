/**
 * placement.json of a run on a device other than the CPU: one extra train step (learning rate 0,
 * random inputs of the run's batch shape, in its own profiled session, so the run's state is not
 * touched) tells which nodes ran on the requested provider and which fell back to the CPU
 * (src/sessions/placement.ts). On a real GPU each fallback costs a copy each way per step.
 */
import type { TrainingArtifacts } from '../autodiff/artifacts.js';
import { randomBatch } from './check-training.js';
import { SessionManager } from '../sessions/session-manager.js';
import { formatPlacement, profilingSession, readPlacement, type PlacementReport } from '../sessions/placement.js';
import type { BackendChoice } from './setup.js';
import { StepRunner } from './step-runner.js';

/** Profiles one step of `art` on the session config `session`; undefined for non-ORT backends. */
export async function measureStepPlacement(
  art: TrainingArtifacts,
  session: Record<string, unknown>,
  choice: BackendChoice,
  batchSize: number,
  classes: number,
): Promise<PlacementReport | undefined> {
  if (choice.backend !== undefined && choice.backend !== 'ort') return undefined;
  const profiling = profilingSession(session);
  const manager = new SessionManager(profiling.config, {
    backend: 'ort',
    backendOptions: choice.backendOptions,
    inWorker: choice.inWorker,
  });
  const runner = new StepRunner(art, (name, bytes) => manager.createSession(`placement-${name}`, bytes), 0);
  try {
    const provider = (await manager.resolve()).provider;
    const batch = randomBatch(art, batchSize, 1, classes);
    const K = art.stepsPerRun;
    await runner.runSteps(Array(K).fill(batch), Array(K).fill(0));
    await runner.close();
    return readPlacement(profiling.dir, provider);
  } finally {
    await runner.close();
    await manager.close();
    profiling.cleanup();
  }
}

/** Where the trainer reports: a run directory and a logger. */
interface PlacementSink {
  writeJson(name: string, value: unknown): void;
}
interface PlacementLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * On runs whose sessions are not on the CPU: measures the step's placement, writes placement.json
 * and logs its summary. Diagnostic only: a failure is logged, never fails the run.
 */
export async function writeStepPlacement(
  run: PlacementSink,
  log: PlacementLog,
  sessions: SessionManager,
  art: TrainingArtifacts,
  session: Record<string, unknown>,
  choice: BackendChoice,
  batchSize: number,
  classes: number | undefined,
): Promise<void> {
  if ((await sessions.resolve()).provider === 'cpu') return;
  try {
    const report = await measureStepPlacement(art, session, choice, batchSize, classes ?? 2);
    if (!report) return;
    run.writeJson('placement.json', report);
    log.info(formatPlacement(report).split('\n')[0]);
  } catch (e) {
    log.warn(
      `could not measure where the train step's nodes run (placement.json not written): ${(e as Error).message}`,
    );
  }
}
