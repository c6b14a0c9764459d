/**
 * Dataset errors. Every message says what was expected, where (file, line, option path) and how
 * to fix it. `code` is stable; gymnosd treats it as a user error (exit 2).
 */
import { GymnosError } from '../util/errors.js';

/** A problem with the user's data or dataset options. */
export class DatasetError extends GymnosError {
  readonly code = 'ERR_DATASET';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
  }
}

/** The data does not fit the model it feeds (sample shape, label width, a fixed batch size). */
export class FeedError extends GymnosError {
  readonly code = 'ERR_USER';
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options);
    this.name = 'FeedError';
  }
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
