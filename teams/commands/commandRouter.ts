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
  /** Other words for a command (German menu titles arrive as typed German words), to the command's own word. */
  private readonly aliases = new Map<string, string>();

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

  /** Words (one or two, lower case) that mean a registered command: `{ hilfe: 'help' }`. Their handler sees the command's own word. */
  alias(words: Record<string, string>): this {
    for (const [word, command] of Object.entries(words)) {
      if (!this.handlers.has(command)) throw new Error(`alias ${word}: no command ${command}`);
      this.aliases.set(word, command);
    }
    return this;
  }

  /** The command a typed text starts with (its own word, aliases resolved), and what follows; undefined when it names none. */
  resolve(typed: string): { word: string; args: string[] } | undefined {
    const [first = '', ...rest] = typed.trim().split(/\s+/);
    const one = first.toLowerCase();
    const two = `${one} ${rest[0]?.toLowerCase() ?? ''}`;
    for (const [candidate, args] of [[two, rest.slice(1)], [one, rest]] as const) {
      const word = this.aliases.get(candidate) ?? candidate;
      if (this.handlers.has(word)) return { word, args };
    }
    return undefined;
  }

  /** The reply to a typed command (already stripped of the bot's @mention). */
  async reply(typed: string, clicker: Clicker, deps: CardDeps): Promise<Reply> {
    const command = this.resolve(typed);
    if (!command) return this.fallback(typed.split(' ').slice(1), clicker, deps, typed.split(' ')[0]?.toLowerCase() ?? '');
    return this.handlers.get(command.word)!(command.args, clicker, deps, command.word);
  }
}

function allowed(clicker: Clicker, need: Need): boolean {
  return need === 'own' ? mayListOwn(clicker) : clicker.access[need];
}
