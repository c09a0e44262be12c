/** Who clicked or typed, as the Teams edge knows them from the activity: the lifecycle's actor, what they may do, where, in which language. */
import type { Locale } from '../../cards';
import type { Where } from '../../services/app/product';
import type { Actor } from '../../services/leads/leadLifecycle';
import type { Access } from '../../services/useCases/roles';

export interface Clicker {
  actor: Extract<Actor, { kind: 'user' }>;
  /** What they may do with leads (their role, and whether leads are visible to everyone). */
  access: Access;
  teamsUserId: string;
  locale: Locale;
  timeZone?: string;
  /** The conversation the click or message came from, as it would be saved. */
  where: Where;
  /** The click came from a lead card a person shared (from search or a link): its answers stay shared copies. */
  onSharedCard?: boolean;
}
