import type { Response } from 'express';

/** The codes every error body may carry, with their status. */
export const ERROR_STATUS = {
  unauthorized: 401,
  invalid_json: 400,
  invalid_encoding: 400,
  invalid_event: 400,
  invalid_batch: 400,
  invalid_header: 400,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_in_progress: 409,
  payload_too_large: 413,
  batch_too_large: 413,
  unsupported_media_type: 415,
  unsupported_encoding: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  overloaded: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly details: unknown };
}

/** A request-level failure: one status, one body shape, for every error the API returns. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: unknown = {},
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
    this.headers = headers;
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function sendError(res: Response, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  // The rest of an oversized body is not worth reading on this connection.
  if (error.status === 413) res.setHeader('connection', 'close');
  res.status(error.status).json(error.body());
}
