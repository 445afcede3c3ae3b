// Errors the engine raises on purpose, each with a stable code that survives
// any process boundary. Pure.

export type EngineErrorCode =
  | 'CANCELLED'
  | 'BAD_REQUEST'
  | 'MODEL_INVALID'
  | 'MODEL_NOT_FOUND'
  | 'BACKEND_UNAVAILABLE'
  | 'WORKER_CRASHED'
  | 'INTERNAL';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class CancelledError extends EngineError {
  constructor() {
    super('CANCELLED', 'The generation was cancelled.');
  }
}
