/** Typed commands: help, the lists (my leads, unassigned, the four views), find <words>, lead <id>, retry <id>, notify, subscribe/unsubscribe, roles, grant, revoke, insights, settings, sync. */
import type { TurnContext } from 'botbuilder';
import { CardFactory } from 'botbuilder';
import { renderHelpCard, renderRolesCard, renderSyncStatusCard, t, type CardAttachment } from '../cards';
import type { LeadsApp } from '../services/app/leadsApp';
import { REFERRAL_ID_PATTERN } from '../services/leads/referral';
import type { Role } from '../services/storage/roleStore';
import { commandText } from './activityParsers';
import { settingsCard } from './settingsCommand';
import { insightsCard, leadCard, listCard, searchCard, type Clicker } from './cardActions';
import { PERIODS, type Period } from '../services/leads/leadStats';
import { conversationFrom } from './conversationRef';
import { conversationKey, LEAD_KINDS, type LeadKind } from '../services/storage/conversationStore';

export interface CommandDeps {
  app: LeadsApp;
  flameWindowHours: number;
  adminsConfigured: boolean;
}

// A Map: "grant <id> constructor" must not find Object.prototype.constructor.
const ROLE_ALIASES: ReadonlyMap<string, Role> = new Map([
  ['leadadmin', 'leadAdmin'],
  ['referralsadmin', 'leadAdmin'],
  ['referrals', 'leadAdmin'],
  ['partneradmin', 'partnerAdmin'],
  ['mpnpartneradmin', 'partnerAdmin'],
  ['mpn', 'partnerAdmin'],
]);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function handleTextCommand(context: TurnContext, clicker: Clicker, deps: CommandDeps): Promise<void> {
  const typed = commandText(context.activity.text);
  // A card someone shared in this chat (from the message extension) is not a command: no help card in reply.
  if (!typed && (context.activity.attachments?.length ?? 0) > 0) return;
  const [word = '', ...args] = typed.split(' ');
  const { locale } = clicker;
  const send = (card: CardAttachment) => context.sendActivity({ attachments: [CardFactory.adaptiveCard(card.content)] });

  const first = word.toLowerCase();
  switch (first === 'my' && args[0]?.toLowerCase() === 'leads' ? 'mine' : first) {
    case 'marketplace':
    case 'qualified':
    case 'favorites':
    case 'archived':
    case 'unassigned':
    case 'mine':
      await send(await listCard(first === 'my' ? 'mine' : (first as 'marketplace'), clicker, deps));
      return;
    case 'notify':
      await context.sendActivity(await notify(args, clicker, deps));
      return;
    case 'find':
    case 'search': {
      const found = await searchCard(args.join(' '), clicker, deps);
      await (typeof found === 'string' ? context.sendActivity(found) : send(found));
      return;
    }
    case 'lead': {
      const id = args[0] ?? '';
      const stored = REFERRAL_ID_PATTERN.test(id) ? await deps.app.leads.get(id) : undefined;
      if (!stored) {
        await context.sendActivity(t(locale, 'command.leadNotFound', { id: id || '?' }));
        return;
      }
      await send(leadCard(stored.lead, clicker, deps, {}));
      return;
    }
    case 'subscribe':
    case 'unsubscribe': {
      const subscribed = word.toLowerCase() === 'subscribe';
      await deps.app.conversations.save(conversationFrom(context.activity, subscribed));
      await context.sendActivity(t(locale, subscribed ? 'command.subscribed' : 'command.unsubscribed'));
      return;
    }
    case 'roles':
      await send(renderRolesCard({ locale, entries: await deps.app.roles.list() }));
      return;
    case 'insights': {
      const period = (args[0] ?? '30d').toLowerCase();
      if (!(period in PERIODS)) {
        await context.sendActivity(t(locale, 'command.insightsUsage'));
        return;
      }
      await send(await insightsCard(period as Period, clicker, deps));
      return;
    }
    case 'settings':
      await send(await settingsCard(clicker, deps));
      return;
    case 'sync':
      await send(renderSyncStatusCard(await deps.app.syncStatus(), { locale, timeZone: clicker.timeZone }));
      return;
    case 'retry':
      await context.sendActivity(await retry(args[0] ?? '', clicker, deps));
      return;
    case 'grant':
    case 'revoke':
      await context.sendActivity(await changeRole(word.toLowerCase() as 'grant' | 'revoke', args, clicker, deps));
      return;
    default:
      await send(renderHelpCard(locale, deps.adminsConfigured));
  }
}

async function changeRole(verb: 'grant' | 'revoke', args: string[], clicker: Clicker, deps: CommandDeps): Promise<string> {
  const { locale } = clicker;
  if ((await deps.app.roles.roleOf(clicker.actor.id)) !== 'partnerAdmin') return t(locale, 'command.onlyPartnerAdmins');
  const [id = '', roleName = ''] = args;
  if (!GUID.test(id)) return t(locale, verb === 'grant' ? 'command.grantUsage' : 'command.revokeUsage');
  if (verb === 'revoke') {
    const removed = await deps.app.roles.revoke(id);
    return t(locale, removed ? 'command.revoked' : 'command.revokeNothing', { id });
  }
  const role = ROLE_ALIASES.get(roleName.toLowerCase().replace(/[^a-z]/g, ''));
  if (!role) return t(locale, 'command.grantUsage');
  await deps.app.roles.grant(id, role, clicker.actor.id);
  return t(locale, 'command.granted', { id, role: t(locale, `role.${role}` as never) });
}


/** `retry <lead id>`, partner admins: a lead set aside because its projection kept failing is processed again. */
async function retry(id: string, clicker: Clicker, deps: CommandDeps): Promise<string> {
  const { locale } = clicker;
  if (clicker.role !== 'partnerAdmin') return t(locale, 'command.retryOnlyPartnerAdmins');
  if (!REFERRAL_ID_PATTERN.test(id)) return t(locale, 'command.retryUsage');
  const result = await deps.app.retryProjection(id);
  if (result.outcome === 'notParked') return t(locale, 'command.retryNothing', { id });
  if (result.outcome === 'projected') return t(locale, 'command.retryDone', { id });
  return t(locale, 'command.retryFailed', { id, reason: result.reason });
}

const NOTIFY_KINDS: ReadonlyMap<string, LeadKind[]> = new Map([
  ['marketplace', ['marketplace']],
  ['qualified', ['qualified']],
  ['all', [...LEAD_KINDS]],
  ['off', []],
]);

/** `notify me marketplace|qualified|all|off`: the person is @mentioned on new leads of those kinds in this conversation. */
async function notify(args: string[], clicker: Clicker, deps: CommandDeps): Promise<string> {
  const { locale } = clicker;
  const words = args.map((a) => a.toLowerCase()).filter((a) => a !== 'me');
  const kinds = words.length === 1 ? NOTIFY_KINDS.get(words[0] ?? '') : undefined;
  if (!kinds) return t(locale, 'command.notifyUsage');
  if (clicker.where.scope === 'personal') return t(locale, 'command.notifyPersonal');
  if (!clicker.teamsUserId || clicker.actor.id.startsWith('teams:')) return t(locale, 'command.notifyNoTeamsId');
  const key = conversationKey(clicker.where.conversationId);
  await deps.app.conversations.setNotify(key, { personId: clicker.actor.id, name: clicker.actor.name, teamsUserId: clicker.teamsUserId, kinds });
  if (kinds.length === 0) return t(locale, 'command.notifyOff');
  return t(locale, 'command.notifyOn', { kinds: t(locale, kinds.length === 2 ? 'notify.kinds.all' : `notify.kinds.${kinds[0] as LeadKind}`) });
}
