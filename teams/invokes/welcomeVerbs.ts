/**
 * The welcome a conversation gets when the app is added, by scope: a team's asks a lead admin which
 * channel gets new leads (and which kinds), a group chat's offers "Send new leads here", a personal
 * chat's says what comes there. Installing subscribes nothing; these choices do.
 */
import { renderWelcomeCard, t, type CardAttachment, type Locale, type WelcomeSetup } from '../../cards';
import type { Where } from '../../services/app/product';
import type { LeadKind } from '../../services/leads/lead';
import { welcomeChannelSchema } from '../activityParsers';
import { inChannel } from '../conversationRef';
import { refuse } from './access';
import type { CardDeps } from './cardViews';
import { cardResponse, errorResponse, messageResponse, type VerbHandler } from './cardVerbs';

/** The welcome for a conversation the app was just added to. */
export async function welcomeCard(where: Where, locale: Locale, deps: CardDeps): Promise<CardAttachment> {
  return welcome(locale, deps, await setupFor(where, locale, deps));
}

async function setupFor(where: Where, locale: Locale, deps: CardDeps): Promise<WelcomeSetup> {
  if (where.scope === 'groupChat') return { kind: 'chat' };
  if (where.scope === 'personal') return { kind: 'personal', streamed: where.userId !== undefined && (await deps.product.roles.streamsTo(where.userId)) };
  return { kind: 'team', channels: await teamChannels(where, locale, deps), current: where.conversationId };
}

/** The team's channels, named (the General channel has no name of its own); at least the one the app was added in. */
async function teamChannels(where: Where, locale: Locale, deps: CardDeps): Promise<{ id: string; name: string }[]> {
  const listed = where.teamId ? await deps.product.conversations.channels(where, where.teamId) : [];
  const named = listed.map((c) => ({ id: c.id, name: c.name ?? t(locale, 'welcome.general') }));
  return named.some((c) => c.id === where.conversationId) ? named : [{ id: where.conversationId, name: t(locale, 'welcome.general') }, ...named];
}

function welcome(locale: Locale, deps: CardDeps, setup: WelcomeSetup): CardAttachment {
  return renderWelcomeCard({ locale, adminsConfigured: deps.adminsConfigured, everyone: deps.product.roles.everyone, setup });
}

/** "Send new leads there" on a team's welcome: the chosen channel (one of this team's) gets the chosen kinds. */
export const chooseChannel: VerbHandler = async (data, clicker, deps, verb) => {
  const { locale, where } = clicker;
  if (!clicker.access.change) return messageResponse(refuse(clicker, deps, verb, 'change'));
  const parsed = welcomeChannelSchema.safeParse(data);
  if (!parsed.success || where.scope !== 'channel') return errorResponse(400, 'BadRequest', 'Choose a channel of this team.');
  const kinds = [...new Set(parsed.data.leadKinds ?? [])];
  if (kinds.length === 0) return messageResponse(t(locale, 'welcome.noKinds'));
  // The choice came from the card: only a channel of this team is taken.
  const chosen = (await teamChannels(where, locale, deps)).find((c) => c.id === parsed.data.channelId);
  if (!chosen) return messageResponse(t(locale, 'welcome.unknownChannel'));
  await deps.product.conversations.subscribe(inChannel(where, chosen.id), true, kinds);
  deps.log.info({ user: clicker.actor.id, kinds }, 'a channel was chosen for new leads');
  const text = t(locale, 'welcome.chosenChannel', { kinds: kindsText(kinds, locale), channel: chosen.name, name: clicker.actor.name });
  return cardResponse(welcome(locale, deps, { kind: 'chosen', text }));
};

/** "Send new leads here" on a group chat's welcome. */
export const sendHere: VerbHandler = async (_data, clicker, deps, verb) => {
  if (!clicker.access.change) return messageResponse(refuse(clicker, deps, verb, 'change'));
  if (clicker.where.scope !== 'groupChat') return errorResponse(400, 'BadRequest', 'Only a group chat is chosen this way.');
  await deps.product.conversations.subscribe(clicker.where, true);
  return cardResponse(welcome(clicker.locale, deps, { kind: 'chosen', text: t(clicker.locale, 'welcome.chosenHere', { name: clicker.actor.name }) }));
};

function kindsText(kinds: LeadKind[], locale: Locale): string {
  return t(locale, kinds.length === 2 ? 'notify.kinds.all' : `notify.kinds.${kinds[0] ?? 'marketplace'}`);
}
