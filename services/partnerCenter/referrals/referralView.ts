/**
 * How a lead looks from Partner Center's side: the status it has there (or will have, once the
 * sync writes it back), the slice's record, and what its card says of the sync.
 */
import type { Lead } from '../../leads/lead';
import type { OutsideView } from '../../leads/outsideView';
import { partnerCenterOf } from './referralState';
import { PARTNER_CENTER_ACTOR, partnerCenterStatus, reasonText, syncState } from './referralSync';

/** The lead's Partner Center fields, as the leads API shows them beside the lead. */
export function partnerCenterFields(lead: Lead) {
  return {
    ...partnerCenterStatus(lead.stage, lead.outcome),
    ...(lead.closeReason && { statusReason: reasonText(lead.closeReason) }),
    ...partnerCenterOf(lead),
  };
}

/** What the card says of Partner Center: a change on its way, or one it refused, in its words. */
export function partnerCenterView(lead: Lead): OutsideView {
  const state = syncState(lead);
  const view: OutsideView = { system: 'Partner Center', actorId: PARTNER_CENTER_ACTOR.id };
  if (state === 'refused') return { ...view, state, message: partnerCenterOf(lead).rejected?.message ?? '' };
  return state === 'pending' ? { ...view, state } : view;
}
