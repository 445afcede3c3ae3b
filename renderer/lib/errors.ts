// Turns whatever a failed call threw into {code, message, details} and a
// title a person can act on. Pure.

import type { AppError } from './types.ts';

export function isAppError(value: unknown): value is AppError {
  return typeof value === 'object' && value !== null && typeof (value as AppError).code === 'string' && typeof (value as AppError).message === 'string';
}

export function toAppError(error: unknown): AppError {
  if (isAppError(error)) {
    const { code, message, details } = error;
    return details === undefined ? { code, message } : { code, message, details };
  }
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message || error.name };
  return { code: 'INTERNAL', message: String(error) };
}

const TITLES: Record<string, string> = {
  BAD_REQUEST: 'These settings can’t run',
  INVALID_PAYLOAD: 'These settings can’t run',
  MODEL_INVALID: 'The model could not be read',
  MODEL_NOT_FOUND: 'The model was not found',
  BACKEND_UNAVAILABLE: 'The MLX engine is not available',
  WORKER_CRASHED: 'The engine stopped unexpectedly',
  DISCONNECTED: 'Lost the connection to the engine',
  RUN_LOST: 'The run was lost',
  NOT_FOUND: 'Not found',
  CANCELLED: 'Cancelled',
};

export function errorTitle(error: AppError): string {
  return TITLES[error.code] ?? 'Something went wrong';
}

/** Details worth showing: field paths and values, never a stack. */
export function errorDetailLines(error: AppError): string[] {
  const { details } = error;
  if (details === undefined || details === null) return [];
  if (typeof details === 'string') return [details];
  if (Array.isArray(details)) return details.map((d) => describeDetail(d)).filter((s) => s.length > 0).slice(0, 6);
  if (typeof details === 'object') {
    const issues = (details as { issues?: unknown }).issues;
    if (Array.isArray(issues)) return errorDetailLines({ ...error, details: issues });
    return Object.entries(details as Record<string, unknown>)
      .filter(([key]) => key !== 'stack')
      .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
      .slice(0, 6);
  }
  return [String(details)];
}

function describeDetail(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (typeof detail === 'object' && detail !== null) {
    const { path, message } = detail as { path?: unknown; message?: unknown };
    const where = Array.isArray(path) && path.length > 0 ? `${path.join('.')}: ` : '';
    if (typeof message === 'string') return `${where}${message}`;
    return JSON.stringify(detail);
  }
  return String(detail);
}
