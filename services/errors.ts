/** The catalog of named errors: a stable code, and whether the message is safe to show a user. */
export type ErrorCode =
  | 'config'
  | 'validation'
  | 'invalid_transition'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'storage_unavailable'
  | 'payload_too_large'
  | 'send_failed'
  | 'partner_center'
  | 'sealed_token';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { userSafe?: boolean; cause?: unknown; details?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
  }

  get userSafe(): boolean {
    return this.options.userSafe ?? false;
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** A configuration error stops start-up; its message names the variable. */
export class ConfigError extends AppError {
  constructor(readonly issues: FieldIssue[]) {
    super('config', `Invalid configuration:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Storage did not answer (network, timeout, 5xx): callers answer 503 and may retry. */
export class StorageUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('storage_unavailable', 'Storage is unavailable', { cause });
    this.name = 'StorageUnavailableError';
  }

  /** One line for the logs: an outage repeats on every request, its stack says nothing new. */
  get reason(): string {
    let cause = this.cause;
    while (cause instanceof StorageUnavailableError) cause = cause.cause;
    const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
    return String(code ?? message ?? 'unknown');
  }
}

/** A lead kept changing under a background change (another change won every race): it is tried again later. */
export class LeadBusyError extends AppError {
  constructor(leadId: string) {
    super('conflict', `lead ${leadId} changed during every attempt`);
    this.name = 'LeadBusyError';
  }
}

/** zod issues as `{ path, message }` with dotted paths such as `customerProfile.team.0.email`. */
export function toFieldIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/** An error's first line, at most 200 characters: enough for a log field or a chat message. */
export function briefly(error: unknown): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n').find((l) => l.trim()) ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
