/** Every typed command, each registered with its handler: the one place to find what a word does. */
import type { TurnContext } from 'botbuilder';
import { CardFactory } from 'botbuilder';
import { renderHelpCard } from '../../cards';
import { commandText } from '../activityParsers';
import type { CardDeps } from '../invokes/cardViews';
import type { Clicker } from '../invokes/clicker';
import { changeRole, retry, roles, sync } from './adminCommands';
import { CommandRouter } from './commandRouter';
import { notify, settings, subscribe } from './conversationCommands';
import { find, showInsights, showLead, showList } from './listCommands';

const help = async (_args: string[], clicker: Clicker, deps: CardDeps) => renderHelpCard(clicker.locale, deps.adminsConfigured, deps.product.roles.everyone);

// Reading every lead needs a role (or LEADS_VISIBLE_TO=everyone); one's own leads and favorites do
// not, in one's personal chat (elsewhere everyone in the conversation would see the list).
export const commands = new CommandRouter(help)
  .on('help', help)
  .on('marketplace', showList('marketplace'), 'read')
  .on('qualified', showList('qualified'), 'read')
  .on('favorites', showList('favorites'), 'own')
  .on('archived', showList('archived'), 'read')
  .on('unassigned', showList('unassigned'), 'read')
  .on(['mine', 'my leads'], showList('mine'), 'own')
  .on(['find', 'search'], find, 'read')
  .on('lead', showLead)
  .on('insights', showInsights, 'read')
  .on(['subscribe', 'unsubscribe'], subscribe)
  .on('notify', notify)
  .on('settings', settings)
  .on('roles', roles)
  .on(['grant', 'revoke'], changeRole)
  .on('retry', retry)
  .on('sync', sync)
  // The German app package's menu titles (manifest/de.json), and what German speakers type.
  .alias({
    hilfe: 'help',
    qualifiziert: 'qualified',
    favoriten: 'favorites',
    archiv: 'archived',
    archiviert: 'archived',
    'ohne zuständige': 'unassigned',
    'ohne besitzer': 'unassigned',
    'meine leads': 'my leads',
    meine: 'mine',
    suchen: 'find',
    finden: 'find',
    auswertung: 'insights',
    abonnieren: 'subscribe',
    abbestellen: 'unsubscribe',
    benachrichtigen: 'notify',
    einstellungen: 'settings',
    rollen: 'roles',
  });

/** A message to the bot: the command's reply, as a card or a line of text. */
export async function handleTextCommand(context: TurnContext, clicker: Clicker, deps: CardDeps): Promise<void> {
  const typed = commandText(context.activity.text);
  // A card someone shared in this chat (from the message extension) is not a command: no help card in reply.
  if (!typed && (context.activity.attachments?.length ?? 0) > 0) return;
  const reply = await commands.reply(typed, clicker, deps);
  await (typeof reply === 'string' ? context.sendActivity(reply) : context.sendActivity({ attachments: [CardFactory.adaptiveCard(reply.content)] }));
}
