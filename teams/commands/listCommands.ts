/** Commands that read leads: the lists, `my leads`, `find <words>`, `lead <id>`, `insights`. */
import { t } from '../../cards';
import { LEAD_ID_PATTERN } from '../../services/leads/lead';
import { PERIODS, type Period } from '../../services/leads/leadStats';
import type { ListName } from '../../services/leads/leadViews';
import { insightsCard, leadCard, listCard, searchCard } from '../invokes/cardViews';
import { readAs, refuse } from '../invokes/access';
import type { CommandHandler } from './commandRouter';

/** A list, newest first, 10 a page: `marketplace`, `qualified`, `favorites`, `archived`, `unassigned`, `my leads`. */
export const showList =
  (list: Exclude<ListName, never>): CommandHandler =>
  (_args, clicker, deps) =>
    listCard(list, clicker, deps);

export const find: CommandHandler = (args, clicker, deps) => searchCard(args.join(' '), clicker, deps);

/** `lead <id>`: for people without a role, only a lead posted in this conversation, or theirs. */
export const showLead: CommandHandler = async (args, clicker, deps) => {
  const id = args[0] ?? '';
  const found = LEAD_ID_PATTERN.test(id) ? await readAs(id, clicker, deps) : undefined;
  // Without a role, an id that names no lead is refused like one that names someone else's: nothing says which.
  if (!found) return clicker.access.read ? t(clicker.locale, 'command.leadNotFound', { id: id || '?' }) : refuse(clicker, deps, `lead ${id}`, 'read');
  return found.readable ? leadCard(found.lead, clicker, deps, {}) : refuse(clicker, deps, `lead ${id}`, 'read');
};

export const showInsights: CommandHandler = async (args, clicker, deps) => {
  const period = (args[0] ?? '30d').toLowerCase();
  if (!(period in PERIODS)) return t(clicker.locale, 'command.insightsUsage');
  return insightsCard(period as Period, clicker, deps);
};
