/** Commands about this conversation: `subscribe`, `unsubscribe`, `notify me …`, `settings`. */
import { t } from '../../cards';
import { LEAD_KINDS, type LeadKind } from '../../services/leads/lead';
import { logRefusal, refuse } from '../invokes/access';
import { settingsCard } from '../invokes/settingsCard';
import type { CommandHandler } from './commandRouter';

/**
 * `subscribe`, `unsubscribe`: whether new leads are posted here, a lead role's choice. A personal
 * chat is its person's: they may stop the team's leads there; only a partner admin turns them on
 * (for themselves here, for others on the roles card).
 */
export const subscribe: CommandHandler = async (_args, clicker, deps, word) => {
  const on = word === 'subscribe';
  const { conversations } = deps.product;
  if (clicker.where.scope === 'personal') {
    if (!on) await conversations.subscribe(clicker.where, false);
    else if (clicker.access.admin) {
      await conversations.stored(clicker.where);
      await deps.product.roles.stream(clicker.actor.id, { id: clicker.actor.id, name: clicker.actor.name }, true);
    } else {
      logRefusal(clicker, deps, word, 'admin');
      return t(clicker.locale, 'command.subscribePersonal');
    }
  } else if (!clicker.access.change) return refuse(clicker, deps, word, 'change');
  else await conversations.subscribe(clicker.where, on);
  return t(clicker.locale, on ? 'command.subscribed' : 'command.unsubscribed');
};

const NOTIFY_KINDS: ReadonlyMap<string, LeadKind[]> = new Map([
  ['marketplace', ['marketplace']],
  ['qualified', ['qualified']],
  ['all', [...LEAD_KINDS]],
  ['off', []],
  // As the German menu's description says them.
  ['qualifiziert', ['qualified']],
  ['alle', [...LEAD_KINDS]],
  ['aus', []],
]);

/** `notify me marketplace|qualified|all|off`: the person is @mentioned on new leads of those kinds in this conversation. */
export const notify: CommandHandler = async (args, clicker, deps) => {
  const { locale } = clicker;
  const words = args.map((a) => a.toLowerCase()).filter((a) => a !== 'me' && a !== 'mich');
  const kinds = words.length === 1 ? NOTIFY_KINDS.get(words[0] ?? '') : undefined;
  if (!kinds) return t(locale, 'command.notifyUsage');
  if (clicker.where.scope === 'personal') return t(locale, 'command.notifyPersonal');
  if (!clicker.teamsUserId || clicker.actor.id.startsWith('teams:')) return t(locale, 'command.notifyNoTeamsId');
  await deps.product.conversations.notify(clicker.where, { personId: clicker.actor.id, name: clicker.actor.name, teamsUserId: clicker.teamsUserId, kinds });
  if (kinds.length === 0) return t(locale, 'command.notifyOff');
  return t(locale, 'command.notifyOn', { kinds: t(locale, kinds.length === 2 ? 'notify.kinds.all' : `notify.kinds.${kinds[0] as LeadKind}`) });
};

export const settings: CommandHandler = (_args, clicker, deps) => settingsCard(clicker, deps);
