/**
 * The session worker thread: owns the sessions created from model bytes, runs them off the
 * caller's event loop (ONNX Runtime's `run` blocks the thread that calls it), and sends outputs
 * back by transferring their buffers. Started by `SessionWorker` in worker-host.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Tensor } from '../onnx/tensor.js';
import { SessionError, toWire, type SessionErrorCode } from './errors.js';
import { backendEntry } from './registry.js';
import type { BackendSession, SessionBackend } from './types.js';
import { packTensors, type Request, type Response, type WorkerInit } from './worker-protocol.js';

if (!parentPort) throw new Error('worker-main.ts runs inside a worker thread started by SessionWorker');
const port = parentPort;
const init = workerData as WorkerInit;

let backend: SessionBackend | undefined;
function getBackend(): SessionBackend {
  backend ??= backendEntry(init.backend).create(init.backendOptions);
  return backend;
}

const sessions = new Map<string, BackendSession>();

function session(id: string): BackendSession {
  const s = sessions.get(id);
  if (!s)
    throw new SessionError(
      'ERR_SESSION_NOT_FOUND',
      `no session '${id}' in the worker (created: ${[...sessions.keys()].join(', ') || 'none'})`,
    );
  return s;
}

const FALLBACK_CODE: Record<Request['op'], SessionErrorCode> = {
  create: 'ERR_SESSION_CREATE',
  run: 'ERR_SESSION_RUN',
  release: 'ERR_SESSION_RUN',
  available: 'ERR_BACKEND_UNAVAILABLE',
  versions: 'ERR_BACKEND_UNAVAILABLE',
  crash: 'ERR_WORKER_CRASHED',
  close: 'ERR_WORKER_TERMINATED',
};

/*
 * Closing: the thread must not be terminated while ONNX Runtime is inside a native run (the
 * binding then throws into a terminating environment and the whole process aborts). So the host
 * asks to close, the worker skips queued requests, waits for the one in flight, releases its
 * sessions and exits by itself.
 */
let inFlight = 0;
let closing = false;
const closingRequested = () => Atomics.load(init.control, 0) === 1;

async function maybeExit(): Promise<void> {
  if (!closing || inFlight > 0) return;
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.allSettled(all.map((s) => s.release()));
  process.exit(0);
}

async function handle(req: Request): Promise<void> {
  if (closingRequested()) return; // the host already rejected it
  let reply: Response;
  let transferList: ArrayBuffer[] = [];
  inFlight++;
  try {
    switch (req.op) {
      case 'create': {
        if (sessions.has(req.session))
          throw new SessionError(
            'ERR_SESSION_EXISTS',
            `a session '${req.session}' already exists in the worker; release it first`,
          );
        const s = await getBackend().create(req.model, req.config);
        sessions.set(req.session, s);
        reply = { id: req.id, ok: true, result: { inputNames: s.inputNames, outputNames: s.outputNames } };
        break;
      }
      case 'run': {
        const out: Record<string, Tensor> = await session(req.session).run(req.feeds, req.outputs);
        const packed = packTensors(out, true);
        transferList = packed.transferList;
        reply = { id: req.id, ok: true, result: packed.packed };
        break;
      }
      case 'release': {
        const s = sessions.get(req.session);
        sessions.delete(req.session);
        await s?.release();
        reply = { id: req.id, ok: true, result: null };
        break;
      }
      case 'available':
        reply = { id: req.id, ok: true, result: await getBackend().available() };
        break;
      case 'versions':
        reply = { id: req.id, ok: true, result: await getBackend().versions() };
        break;
      case 'crash':
      case 'close':
        return; // handled synchronously in the listener below
    }
  } catch (e) {
    reply = { id: req.id, ok: false, error: toWire(e, FALLBACK_CODE[req.op]) };
  } finally {
    inFlight--;
  }
  if (!closingRequested()) port.postMessage(reply, transferList);
  await maybeExit();
}

port.on('message', (req: Request) => {
  if (req.op === 'close') {
    closing = true;
    void maybeExit();
    return;
  }
  if (req.op === 'crash') {
    // Test hook, synchronous so that no later message is handled first.
    if (req.how === 'exit') process.exit(7);
    throw new Error('deliberate crash of the session worker (test hook)');
  }
  void handle(req);
});
