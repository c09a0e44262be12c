/**
 * Typed commands: one handler per command word, registered with what it needs of the person (to
 * read leads, say); what no handler takes gets the help card. A handler answers in the conversation
 * (a card or a line of text).
 */
import type { CardAttachment } from '../../cards';
import { mayListOwn, refuse, type Need } from '../invokes/access';
import type { CardDeps } from '../invokes/cardViews';
import type { Clicker } from '../invokes/clicker';

/** What a command answers with: a card, or a line of text. */
export type Reply = CardAttachment | string;

export type CommandHandler = (args: string[], clicker: Clicker, deps: CardDeps, word: string) => Promise<Reply>;

export class CommandRouter {
  // A Map: a command such as "constructor" must not find Object.prototype's.
  private readonly handlers = new Map<string, CommandHandler>();

  constructor(private readonly fallback: CommandHandler) {}

  /**
   * `words` are what people type (lower case); a two-word command ("my leads") is registered by
   * both words. `need`: what the person must be allowed (else they are told why, and it is logged).
   */
  on(words: string | string[], handler: CommandHandler, need?: Need): this {
    const guarded: CommandHandler = need ? async (args, clicker, deps, word) => (allowed(clicker, need) ? handler(args, clicker, deps, word) : refuse(clicker, deps, word, need)) : handler;
    for (const word of typeof words === 'string' ? [words] : words) this.handlers.set(word, guarded);
    return this;
  }

  /** The reply to a typed command (already stripped of the bot's @mention). */
  async reply(typed: string, clicker: Clicker, deps: CardDeps): Promise<Reply> {
    const [word = '', ...args] = typed.split(' ');
    const first = word.toLowerCase();
    const two = `${first} ${args[0]?.toLowerCase() ?? ''}`;
    const twoWords = this.handlers.get(two);
    if (twoWords) return twoWords(args.slice(1), clicker, deps, two);
    const handler = this.handlers.get(first) ?? this.fallback;
    return handler(args, clicker, deps, first);
  }
}

function allowed(clicker: Clicker, need: Need): boolean {
  return need === 'own' ? mayListOwn(clicker) : clicker.access[need];
}
