/**
 * Universal Actions: one handler per card verb, registered here. Each parses its untrusted data,
 * calls use cases and answers with what the clicker should see now. The answer is always HTTP 200
 * (Teams expects it); a bad request is an error body, never an exception.
 */
import type { CardAttachment } from '../../cards';
import { invokeValueSchema } from '../activityParsers';
import type { CardDeps } from './cardViews';
import type { Clicker } from './clicker';

export interface InvokeResponseBody {
  statusCode: number;
  type: 'application/vnd.microsoft.card.adaptive' | 'application/vnd.microsoft.activity.message' | 'application/vnd.microsoft.error';
  value: unknown;
}

export const cardResponse = (card: CardAttachment): InvokeResponseBody => ({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card.content });
export const messageResponse = (text: string): InvokeResponseBody => ({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text });
export const errorResponse = (statusCode: 400 | 500, code: string, message: string): InvokeResponseBody => ({
  statusCode,
  type: 'application/vnd.microsoft.error',
  value: { code, message },
});

/** A card verb's handler: the verb's data (untrusted), who clicked, what it may call. */
export type VerbHandler = (data: Record<string, unknown>, clicker: Clicker, deps: CardDeps, verb: string) => Promise<InvokeResponseBody>;

export class CardVerbs {
  // A Map: a verb such as "constructor" must not find Object.prototype's.
  private readonly handlers = new Map<string, VerbHandler>();

  on(verbs: string | Iterable<string>, handler: VerbHandler): this {
    for (const verb of typeof verbs === 'string' ? [verbs] : verbs) this.handlers.set(verb, handler);
    return this;
  }

  /** The invoke's answer: its verb's handler, or a bad request for a verb nobody registered. */
  async handle(invokeValue: unknown, from: Clicker, deps: CardDeps): Promise<InvokeResponseBody> {
    const parsed = invokeValueSchema.safeParse(invokeValue);
    const handler = parsed.success ? this.handlers.get(parsed.data.action.verb) : undefined;
    if (!parsed.success || !handler) return errorResponse(400, 'BadRequest', 'This card action is not one Partner Leads knows.');
    const { verb, data } = parsed.data.action;
    // Untrusted like the rest of the payload; it decides only whose client refreshes the answer.
    return handler(data, { ...from, onSharedCard: data.shared === true }, deps, verb);
  }
}
