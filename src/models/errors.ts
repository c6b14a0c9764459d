/** Errors the ModelManager raises for the user to fix; gymnosd prints the message and exits 2. */
import { GymnosError } from '../util/errors.js';
export class ModelError extends GymnosError {
  readonly code = 'ERR_USER';
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options);
    this.name = 'ModelError';
  }
}
