/**
 * A person's own events — a reminder, an expiry notice, "you are its owner now", a change of theirs
 * Partner Center overruled — for one person (the lead's owner, someone whose snooze ended, the
 * person who made the change):
 * 1. in their Teams activity feed, linked to the lead's card in its channel or group chat, where
 *    the tenant has the feed on and the person did not mute it;
 * 2. else in their personal chat, which the bot opens (and files) if it has none yet — installing
 *    the app for them first when Teams will not and an admin allowed it;
 * 3. else, where Teams will not let it (403, not a member), in the lead's channels and group chats,
 *    @mentioning the owner.
 */
import type { Lead } from '../../leads/lead';
import { msLeft, snoozedPast } from '../../leads/leadTime';
import type { Logger } from '../../logger';
import type { Conversation, ConversationSettings, ConversationStore } from '../../storage/conversationStore';
import type { LeadStore } from '../../storage/leadStore';
import { postedRooms, type PostedRoom } from '../deliveryStore';
import type { ActivityFeed, ActivityType, LinkedCard } from '../graph/activityFeed';
import { cardLink } from '../graph/activityFeed';
import type { AppInstaller } from '../graph/appInstaller';
import type { Outbox, OutboxItem } from '../outbox';
import { SendFailure, type Mention, type OutboundMessage, type TeamsGateway } from '../teamsGateway';
import { RATE_WAIT_MS, type SendSlots } from './sendSlots';

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
  conversations: ConversationStore;
  outbox: Outbox;
  gateway: TeamsGateway;
  slots: SendSlots;
  now: () => Date;
  log: Logger;
  streamsTo?: (person: string) => Promise<boolean>;
  /** The person's Teams activity feed (Microsoft Graph), when the tenant has it. */
  feed?: ActivityFeed;
  /** Installs the app for a person Teams will not open a chat with (when an admin allowed it). */
  installer?: AppInstaller;
  /** Items were queued (the mentions instead): the sender reads the outbox again. */
  queued?: () => void;
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
    if (forOwner(item) && lead.owner?.id !== person) {
      log.info({ item: item.key, kind: item.kind }, 'owner changed before the message went out: not sent to the former owner');
      return false;
    }
    const known = await conversations.personalChatOf(person);
    if (known?.installed && !wanted(item.kind, known.settings)) return false;
    // Where the lead's card is posted, from the row just read: asked for only by the ways that need it.
    let posted: Promise<PostedRoom[]> | undefined;
    const rooms = () => (posted ??= postedRooms(stored.deliveries, conversations));
    if (await this.toFeed(item, lead, rooms, person, known?.installed ? known : undefined)) return false;
    const chat = known?.installed ? known : await this.openChat(person, lead, (await rooms())[0]?.room, known);
    if (chat) {
      // A chat just opened took this item's slot: its message waits for one of its own (the chat is filed: no second open).
      if (chat !== known && !this.deps.slots.tryTake(item.conversationKey, this.deps.now().getTime())) {
        throw new SendFailure(429, 'the personal chat is open; its message waits for a send slot', RATE_WAIT_MS);
      }
      try {
        this.deps.slots.leaving(item.conversationKey, this.deps.now().getTime());
        await this.deps.gateway.post(chat, personalMessage(item, lead));
        return Boolean(item.interrupted);
      } catch (error) {
        if (!(error instanceof SendFailure && error.gone)) throw error;
        await conversations.markRemoved(chat.key);
      }
    }
    await this.roomsInstead(item, lead, person, (await rooms()).map((r) => r.room));
    return false;
  }

  /** In the person's activity feed, linked to the lead's card; false when it did not go there (off, muted, no card to link to, refused). */
  private async toFeed(item: OutboxItem, lead: Lead, rooms: () => Promise<PostedRoom[]>, person: string, chat: Conversation | undefined): Promise<boolean> {
    const { feed, gateway } = this.deps;
    if (!feed?.on || chat?.settings.activityFeed === false) return false;
    // A notification takes the person to the card; a lead with no card they can open is told in their chat.
    const card = cardToLinkTo(await rooms());
    if (!card) return false;
    // The time left now (a snoozed reminder's nominal hours are 0; a late one's are past).
    const hoursLeft = Math.max(1, Math.round(msLeft(lead, this.deps.now()) / 3_600_000));
    const message = personalMessage(item.kind === 'reminder' ? { ...item, hours: hoursLeft } : item, lead);
    const language = chat && chat.settings.language !== 'auto' ? chat.settings.language : chat?.locale;
    return feed.notify(person, {
      type: ACTIVITY_OF[message.kind],
      topic: lead.name,
      webUrl: cardLink(card),
      preview: gateway.preview(message, language),
      parameters: { leadName: lead.name, assignedBy: lead.owner?.by?.name ?? 'Partner Leads', timeLeft: hoursLeft <= 72 ? `${hoursLeft} h` : `${Math.round(hoursLeft / 24)} d` },
    });
  }

  /**
   * A personal chat the bot opens through a conversation where the lead is posted. When Teams will
   * not (the person never had the app), the app is installed for them if an admin allowed it, and
   * the chat opened once more.
   */
  private async openChat(person: string, lead: Lead, via: Conversation | undefined, known: Conversation | undefined): Promise<Conversation | undefined> {
    const { conversations, gateway, installer, log } = this.deps;
    const teamsUserId = teamsIdOf(lead, person);
    if (!teamsUserId || !via) return undefined;
    // Opening a chat is a request to Teams like a send: it uses the slot this item took.
    const open = () => gateway.openPersonalChat(via, { teamsUserId, aadObjectId: person });
    const refused = (error: unknown) => error instanceof SendFailure && (error.status === 403 || error.status === 404);
    let chat;
    try {
      chat = await open();
    } catch (error) {
      if (!refused(error)) throw error;
      if (!(await installer?.install(person))) {
        log.info({ person, status: (error as SendFailure).status }, "Teams would not open a personal chat: the message goes to the lead's channels with a mention");
        return undefined;
      }
      chat = await open().catch((again: unknown) => {
        if (refused(again)) return undefined;
        throw again;
      });
      if (!chat) return undefined;
    }
    log.info({ person }, 'opened a personal chat');
    // Filed so the next message reuses it; it takes the team's new leads only if a partner admin gave this person the stream.
    const subscribed = known?.subscribed ?? (await this.deps.streamsTo?.(person)) ?? false;
    return conversations.save({ ...chat, tenantId: chat.tenantId ?? via.tenantId, scope: 'personal', userId: person, subscribed, installed: true });
  }

  /**
   * The person could not be reached in person: every channel and group chat where the lead is
   * posted gets it — @mentioning the owner; a change Partner Center overruled, as it is.
   */
  private async roomsInstead(item: OutboxItem, lead: Lead, person: string, rooms: Conversation[]): Promise<void> {
    // A snoozed reminder goes there only for the lead's owner (send() left out a former owner's other messages); an overruled change goes as it is.
    if (item.snoozed && lead.owner?.id !== person) return;
    const { outbox, now } = this.deps;
    await Promise.all(
      rooms.map((room) =>
        outbox.enqueueOnce({ key: `${item.key}|at|${room.key}`, kind: item.kind, conversationKey: room.key, personId: person, leadId: lead.id, hours: item.hours, text: item.text }, now()),
      ),
    );
    if (rooms.length === 0) this.deps.log.warn({ item: item.key }, 'the person cannot be reached and the lead is posted nowhere: not sent');
    else this.deps.queued?.();
  }
}

/** The lead's card in a channel (first) or a group chat the bot is still in: where a notification's link opens. */
function cardToLinkTo(rooms: PostedRoom[]): LinkedCard | undefined {
  const linkable = rooms.filter((r) => r.delivery.activityId);
  const { delivery, room } = linkable.find((r) => r.room.scope === 'channel') ?? linkable[0] ?? {};
  if (!delivery?.activityId || !room || room.scope === 'personal') return undefined;
  return { scope: room.scope, conversationId: room.conversationId, activityId: delivery.activityId, tenantId: room.tenantId, teamGroupId: room.teamGroupId };
}

type PersonalKind = 'assigned' | 'reminder' | 'expiredNotice' | 'overruled';
const ACTIVITY_OF: Record<PersonalKind, ActivityType> = { assigned: 'leadAssigned', reminder: 'leadReminder', expiredNotice: 'leadExpired', overruled: 'changeOverruled' };

/** Messages that only the lead's current owner gets (a snoozed reminder returns to whoever snoozed it; an overruled change to who made it). */
const forOwner = (item: OutboxItem) => item.kind !== 'overruled' && !item.snoozed;

/** A reminder whose lead was answered, or that its person put off past it, is no longer due. */
function stillDue(item: OutboxItem, lead: Lead, person: string): boolean {
  if (item.kind === 'expiredNotice' || item.kind === 'assigned' || item.kind === 'overruled') return true;
  if (lead.stage !== 'Received') return false;
  return !putOff(item, lead, person);
}

function personalMessage(item: OutboxItem, lead: Lead): OutboundMessage & { kind: PersonalKind } {
  switch (item.kind) {
    case 'assigned':
      return { kind: 'assigned', lead };
    case 'expiredNotice':
      return { kind: 'expiredNotice', lead };
    case 'overruled':
      return { kind: 'overruled', lead, action: item.text ?? '' };
    default:
      return { kind: 'reminder', lead, hours: item.hours ?? 0, personal: true };
  }
}
