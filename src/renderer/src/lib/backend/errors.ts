import { MonitorError, type ApiErrorBody, type ApiErrorCode } from '$shared/api';

const CODES: ReadonlySet<string> = new Set<ApiErrorCode>([
  'invalid',
  'not-found',
  'conflict',
  'unauthorized',
  'forbidden',
  'too-large',
  'internal',
]);

/** Both backends throw MonitorError, so views handle errors from HTTP and IPC alike. */
export function errorFromBody(body: unknown, fallback: string): MonitorError {
  if (body && typeof body === 'object' && 'message' in body) {
    const b = body as Partial<ApiErrorBody>;
    const code = typeof b.error === 'string' && CODES.has(b.error) ? (b.error as ApiErrorCode) : 'internal';
    return new MonitorError(code, String(b.message), Array.isArray(b.problems) ? b.problems : undefined);
  }
  return new MonitorError('internal', fallback);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
