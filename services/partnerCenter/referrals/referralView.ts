/**
 * How a lead looks from Partner Center's side: the status it has there (or will have, once the
 * sync writes it back), the slice's record, and what its card says of the sync.
 */
import type { Lead } from '../../leads/lead';
import type { OutsideView } from '../../leads/outsideView';
import { PARTNER_CENTER_KEY, partnerCenterOf } from './referralState';
import { PARTNER_CENTER_ACTOR, partnerCenterStatus, pendingFields, reasonText, syncState } from './referralSync';

/**
 * The lead's Partner Center fields, as the leads API shows them beside the lead: the status it has
 * there (or will have, once the sync writes it back) and the reason in Partner Center's words (as
 * it gave it, until a change in Teams says otherwise).
 */
export function partnerCenterFields(lead: Lead) {
  const record = partnerCenterOf(lead);
  const statusReason = pendingFields(lead).includes('statusReason') || !record.synced ? lead.closeReason && reasonText(lead.closeReason) : record.synced.statusReason;
  return { ...partnerCenterStatus(lead.stage, lead.outcome), ...(statusReason && { statusReason }), ...record };
}

/** The referral's page in the portal: `{id}` in the setting stands for the referral id (without it, the setting's page as is). */
export function partnerCenterLeadUrl(template: string, id: string): string {
  return template.replaceAll('{id}', encodeURIComponent(id));
}

/**
 * What the card says of Partner Center: where the referral is in its portal (a lead that came from
 * it), its own changes as made there ("Declined in Partner Center"), values it sent that are shown
 * as it sent them, and, with the sync on, a change on its way or one it refused, in its words.
 */
export function partnerCenterView(lead: Lead, syncOn: boolean, leadUrl?: string): OutsideView {
  const record = lead.external?.[PARTNER_CENTER_KEY];
  const asGiven = partnerCenterOf(lead).asGiven?.map((a) => ({ field: a.path.split('.').filter((part) => !/^\d+$/.test(part)).at(-1) ?? a.path, value: a.value }));
  const view: OutsideView = {
    system: 'Partner Center',
    actorId: PARTNER_CENTER_ACTOR.id,
    ...(leadUrl && record !== undefined && { url: partnerCenterLeadUrl(leadUrl, lead.id) }),
    ...(asGiven && asGiven.length > 0 && { asGiven }),
  };
  const state = syncOn ? syncState(lead) : 'done';
  if (state === 'refused') return { ...view, state, message: partnerCenterOf(lead).rejected?.message ?? '' };
  return state === 'pending' ? { ...view, state } : view;
}
