/** One JSON error shape for every HTTP answer: `{ error: { code, message, issues? } }`. */
import type { Response } from 'restify';
import type { FieldIssue } from '../services/errors';

export function sendError(res: Response, status: number, code: string, message: string, issues?: FieldIssue[], headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  res.send(status, { error: { code, message, ...(issues ? { issues } : {}) } });
}
