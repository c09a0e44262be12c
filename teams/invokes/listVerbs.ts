/** Card verbs that page and look: a list's next page, a search's next page, insights of another period. */
import { insightsActionDataSchema, listActionDataSchema, searchPageDataSchema } from '../activityParsers';
import { insightsCard, listCard, searchCard } from './cardViews';
import { mayListOwn, refuse } from './access';
import { cardResponse, errorResponse, messageResponse, type VerbHandler } from './cardVerbs';

/** Lists a person may page without a role: their own. */
const OWN_LISTS: ReadonlySet<string> = new Set(['mine', 'favorites']);

export const listPage: VerbHandler = async (data, clicker, deps) => {
  const parsed = listActionDataSchema.safeParse(data);
  if (!parsed.success) return errorResponse(400, 'BadRequest', 'This list does not exist.');
  if (!clicker.access.read && !OWN_LISTS.has(parsed.data.view)) return messageResponse(refuse(clicker, deps, `list ${parsed.data.view}`, 'read'));
  if (!mayListOwn(clicker)) return messageResponse(refuse(clicker, deps, `list ${parsed.data.view}`, 'own'));
  return cardResponse(await listCard(parsed.data.view, clicker, deps, parsed.data.cursor, parsed.data.back));
};

export const searchPage: VerbHandler = async (data, clicker, deps) => {
  const page = searchPageDataSchema.safeParse(data);
  if (!page.success) return errorResponse(400, 'BadRequest', 'This search page does not exist.');
  if (!clicker.access.read) return messageResponse(refuse(clicker, deps, 'find', 'read'));
  const card = await searchCard(page.data.query, clicker, deps, page.data.cursor, page.data.back);
  return typeof card === 'string' ? messageResponse(card) : cardResponse(card);
};

export const showInsights: VerbHandler = async (data, clicker, deps) => {
  const period = insightsActionDataSchema.safeParse(data);
  if (!period.success) return errorResponse(400, 'BadRequest', 'Insights cover 7, 30 or 90 days.');
  if (!clicker.access.read) return messageResponse(refuse(clicker, deps, 'insights', 'read'));
  return cardResponse(await insightsCard(period.data.period, clicker, deps));
};
