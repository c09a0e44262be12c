/**
 * A reminder, an expiry notice or "you are its owner now" for one person (the lead's owner, or
 * someone whose snooze ended):
 * to their personal chat, which the bot opens (and files) if it has none yet. Where Teams will not
 * let it (403, not a member), the lead's channels and group chats get it with an @mention instead.
 */
import type { Lead } from '../../leads/lead';
import { snoozedPast } from '../../leads/leadTime';
import type { Logger } from '../../logger';
import type { Conversation, ConversationSettings, ConversationStore } from '../../storage/conversationStore';
import type { LeadStore } from '../../storage/leadStore';
import { roomsOfLead, type DeliveryStore } from '../deliveryStore';
import type { Outbox, OutboxItem } from '../outbox';
import { SendFailure, type Mention, type OutboundMessage, type TeamsGateway } from '../teamsGateway';
import type { SendSlots } from './sendSlots';

/** Whether a conversation's settings let this kind of message through (cards of posted leads always go). */
export function wanted(kind: OutboxItem['kind'], settings: ConversationSettings): boolean {
  switch (kind) {
    case 'flameAlert':
      return settings.flameAlerts;
    case 'reminder':
    case 'expiredNotice':
      return settings.reminders;
    case 'insights':
      return settings.insights;
    case 'needsAnswer':
      return settings.digest;
    default:
      return true;
  }
}

/** A reminder its person snoozed past the time it was due (a snoozed reminder's own return is never put off). */
export function putOff(item: OutboxItem, lead: Lead, person: string): boolean {
  return !item.snoozed && snoozedPast(lead, person, Date.parse(lead.expiresAt) - (item.hours ?? 0) * 3_600_000);
}

/** The @mention of the lead's owner, for a message that names them in a room. */
export function mentionOf(lead: Lead, person: string | undefined): Mention | undefined {
  const owner = lead.owner;
  return person && owner?.id === person.toLowerCase() && owner.teamsUserId ? { teamsUserId: owner.teamsUserId, name: owner.name } : undefined;
}

/** The Teams id of the lead's owner or a favoriter, by AAD object id. */
function teamsIdOf(lead: Lead, person: string): string | undefined {
  if (lead.owner?.id === person) return lead.owner.teamsUserId;
  return lead.favorites.find((f) => f.id.toLowerCase() === person)?.teamsUserId;
}

export interface PersonalDeliveryDeps {
  leads: LeadStore;
  deliveries: DeliveryStore;
  conversations: ConversationStore;
  outbox: Outbox;
  gateway: TeamsGateway;
  slots: SendSlots;
  now: () => Date;
  log: Logger;
  streamsTo?: (person: string) => Promise<boolean>;
}

export class PersonalDelivery {
  constructor(private readonly deps: PersonalDeliveryDeps) {}

  /** Sends the item to its person; true when it posted a message that an interrupted earlier try may have posted too. */
  async send(item: OutboxItem): Promise<boolean> {
    const { leads, conversations, log } = this.deps;
    const stored = item.leadId ? await leads.get(item.leadId) : undefined;
    const person = item.personId?.toLowerCase();
    if (!stored || !person) return false;
    const lead = stored.lead;
    if (!stillDue(item, lead, person)) return false;
    // The owner changed since this was queued: the message is the new owner's business.
    if (!item.snoozed && lead.owner?.id !== person) {
      log.info({ item: item.key, kind: item.kind }, 'owner changed before the message went out: not sent to the former owner');
      return false;
    }
    const chat = await this.personalChat(person, lead);
    if (chat && !wanted(item.kind, chat.settings)) return false;
    if (chat) {
      try {
        this.deps.slots.leaving(item.conversationKey, this.deps.now().getTime());
        await this.deps.gateway.post(chat, personalMessage(item, lead));
        return Boolean(item.interrupted);
      } catch (error) {
        if (!(error instanceof SendFailure && error.gone)) throw error;
        await conversations.markRemoved(chat.key);
      }
    }
    await this.mentionInstead(item, lead, person);
    return false;
  }

  /** The person's personal chat: the one on file, else one the bot opens through a conversation where the lead is posted. */
  private async personalChat(person: string, lead: Lead): Promise<Conversation | undefined> {
    const { conversations, deliveries, gateway, log } = this.deps;
    const known = await conversations.personalChatOf(person);
    if (known?.installed) return known;
    const teamsUserId = teamsIdOf(lead, person);
    if (!teamsUserId) return undefined;
    const [via] = await roomsOfLead(lead.id, deliveries, conversations);
    if (!via) return undefined;
    try {
      const chat = await gateway.openPersonalChat(via, { teamsUserId, aadObjectId: person });
      log.info({ person }, 'opened a personal chat for reminders');
      // Filed so the next reminder reuses it; it takes the team's new leads only if a partner admin gave this person the stream.
      const subscribed = known?.subscribed ?? (await this.deps.streamsTo?.(person)) ?? false;
      return await conversations.save({ ...chat, tenantId: chat.tenantId ?? via.tenantId, scope: 'personal', userId: person, subscribed, installed: true });
    } catch (error) {
      if (!(error instanceof SendFailure && (error.status === 403 || error.status === 404))) throw error;
      log.info({ person, status: error.status }, "Teams would not open a personal chat: the reminder goes to the lead's channels with a mention");
      return undefined;
    }
  }

  /** The owner could not be reached in person: every channel and group chat where the lead is posted gets it, @mentioning them. */
  private async mentionInstead(item: OutboxItem, lead: Lead, person: string): Promise<void> {
    if (lead.owner?.id !== person) return;
    const { deliveries, conversations, outbox, now } = this.deps;
    const rooms = await roomsOfLead(lead.id, deliveries, conversations);
    await Promise.all(
      rooms.map((room) =>
        outbox.enqueueOnce({ key: `${item.key}|at|${room.key}`, kind: item.kind, conversationKey: room.key, personId: person, leadId: lead.id, hours: item.hours }, now()),
      ),
    );
    if (rooms.length === 0) this.deps.log.warn({ item: item.key }, 'the owner cannot be reached and the lead is posted nowhere: reminder not sent');
  }
}

/** A reminder whose lead was answered, or that its person put off past it, is no longer due. */
function stillDue(item: OutboxItem, lead: Lead, person: string): boolean {
  if (item.kind === 'expiredNotice' || item.kind === 'assigned') return true;
  if (lead.stage !== 'Received') return false;
  return !putOff(item, lead, person);
}

function personalMessage(item: OutboxItem, lead: Lead): OutboundMessage {
  if (item.kind === 'assigned') return { kind: 'assigned', lead };
  return item.kind === 'expiredNotice' ? { kind: 'expiredNotice', lead } : { kind: 'reminder', lead, hours: item.hours ?? 0, personal: true };
}
