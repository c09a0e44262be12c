/**
 * Who may see what, at the Teams edge: people with a role (or everyone, when the partner chose
 * LEADS_VISIBLE_TO=everyone) read any lead; people without one read a lead only where its card is
 * posted in a conversation they are in, or when it is theirs (they own it, or marked it a favorite
 * where they saw it). Every refusal is logged
 * once, with who and what, never what the lead holds.
 */
import { t, type Locale } from '../../cards';
import type { Lead } from '../../services/leads/lead';
import type { Access } from '../../services/useCases/roles';
import type { CardDeps } from './cardViews';
import type { Clicker } from './clicker';

/** What a refusal was for: a lead role to read, to change, a partner admin's; or (`own`) one's personal chat, for one's own leads. */
export type Need = keyof Omit<Access, 'role'> | 'own';

/** Whether this person may read this lead here. */
export function mayRead(clicker: Pick<Clicker, 'access' | 'actor' | 'where'>, lead: Lead, postedHere: boolean): boolean {
  if (clicker.access.read || postedHere) return true;
  if (!ownChat(clicker)) return false;
  const me = clicker.actor.id.toLowerCase();
  return lead.owner?.id === me || lead.favorites.some((f) => f.id.toLowerCase() === me);
}

/** The lead, and whether this person may read it here (read as their access allows); undefined when there is none. */
export async function readAs(id: string, clicker: Pick<Clicker, 'access' | 'actor' | 'where'>, deps: Pick<CardDeps, 'product'>): Promise<{ lead: Lead; readable: boolean } | undefined> {
  const { leads } = deps.product;
  if (clicker.access.read) return (await leads.read(id).then((lead) => lead && { lead, readable: true })) ?? undefined;
  const seen = await leads.readIn(id, clicker.where.conversationId);
  return seen && { lead: seen.lead, readable: mayRead(clicker, seen.lead, seen.postedHere) };
}

/** Whether this person may see their own leads here (my leads, favorites): anywhere with a role; without one, in their personal chat. */
export function mayListOwn(clicker: Pick<Clicker, 'access' | 'actor' | 'where'>): boolean {
  return clicker.access.read || ownChat(clicker);
}

/** The person's own personal chat with the bot: what the bot answers there, only they see. */
function ownChat(clicker: Pick<Clicker, 'actor' | 'where'>): boolean {
  return clicker.where.scope === 'personal' && (clicker.where.userId === undefined || clicker.where.userId === clicker.actor.id.toLowerCase());
}

/** Logs a refusal: who, what they tried, what it needed (never what the lead holds). */
export function logRefusal(clicker: Pick<Clicker, 'access' | 'actor'>, deps: Pick<CardDeps, 'log'>, what: string, need: Need): void {
  deps.log.info({ user: clicker.actor.id, role: clicker.access.role ?? 'none', what, need }, 'refused: not allowed by role');
}

/** Logs the refusal and answers why, in the person's language (and how to begin, while nobody has an admin role). */
export function refuse(clicker: Pick<Clicker, 'access' | 'actor' | 'locale'>, deps: Pick<CardDeps, 'log' | 'adminsConfigured'>, what: string, need: Need): string {
  logRefusal(clicker, deps, what, need);
  const why = t(clicker.locale, need === 'read' ? 'access.needViewer' : need === 'change' ? 'access.needLeadRole' : need === 'own' ? 'access.ownInPersonal' : 'command.onlyPartnerAdmins');
  return withHowToBegin(why, clicker.locale, deps);
}

/** A refusal's words, and how to begin while nobody has an admin role. */
export function withHowToBegin(text: string, locale: Locale, deps: Pick<CardDeps, 'adminsConfigured'>): string {
  return deps.adminsConfigured ? text : `${text} ${t(locale, 'notice.noAdmins')}`;
}
