/** Errors the ModelManager raises for the user to fix; gymnosd prints the message and exits 2. */
export class ModelError extends Error {
  readonly code = 'GYMNOS_USER';
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'ModelError'; }
}
