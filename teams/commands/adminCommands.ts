/** Commands of who may do what, and of the product's health: `roles`, `grant`, `revoke`, `retry <lead id>`, `sync`. */
import { renderSyncStatusCard, t } from '../../cards';
import { LEAD_ID_PATTERN } from '../../services/leads/lead';
import type { Role } from '../../services/useCases/roles';
import { AAD_OBJECT_ID } from '../activityParsers';
import { logRefusal } from '../invokes/access';
import { rolesCard } from '../invokes/roleVerbs';
import type { CommandHandler } from './commandRouter';

// A Map: "grant <id> constructor" must not find Object.prototype.constructor.
const ROLE_ALIASES: ReadonlyMap<string, Role> = new Map([
  ['viewer', 'leadViewer'],
  ['leadviewer', 'leadViewer'],
  ['leadadmin', 'leadAdmin'],
  ['referralsadmin', 'leadAdmin'],
  ['referrals', 'leadAdmin'],
  ['partneradmin', 'partnerAdmin'],
  ['mpnpartneradmin', 'partnerAdmin'],
  ['mpn', 'partnerAdmin'],
]);


/** `roles`: who has which role; partner admins get Add… and Remove on it. */
export const roles: CommandHandler = (_args, clicker, deps) => rolesCard(clicker, deps);

/**
 * `grant`: the roles card, whose Add… picks the person (no id to type); `grant <aadObjectId>
 * viewer|leadAdmin|partnerAdmin` and `revoke <aadObjectId>` still work. Partner admins only.
 */
export const changeRole: CommandHandler = async (args, clicker, deps, word) => {
  const { locale } = clicker;
  const { roles } = deps.product;
  const verb = word as 'grant' | 'revoke';
  if (!clicker.access.admin) {
    logRefusal(clicker, deps, verb, 'admin');
    return t(locale, 'command.onlyPartnerAdmins');
  }
  const [id = '', roleName = ''] = args;
  if (verb === 'grant' && id === '') return rolesCard(clicker, deps, { adding: true });
  if (!AAD_OBJECT_ID.test(id)) return t(locale, verb === 'grant' ? 'command.grantUsage' : 'command.revokeUsage');
  if (verb === 'revoke') {
    const revoked = await roles.revoke(clicker.actor.id, id);
    if (revoked === 'forbidden') return t(locale, 'command.onlyPartnerAdmins');
    return t(locale, revoked === 'revoked' ? 'command.revoked' : 'command.revokeNothing', { id });
  }
  const role = ROLE_ALIASES.get(roleName.toLowerCase().replace(/[^a-z]/g, ''));
  if (!role) return t(locale, 'command.grantUsage');
  if ((await roles.grant(clicker.actor.id, id, role)) === 'forbidden') return t(locale, 'command.onlyPartnerAdmins');
  return t(locale, 'command.granted', { id, role: t(locale, `role.${role}` as never) });
};

/**
 * `retry <id>`, partner admins: a referral Partner Center sent that this version could not read is
 * read again (as Partner Center has it now), or a lead set aside because its projection kept
 * failing is processed again.
 */
export const retry: CommandHandler = async (args, clicker, deps) => {
  const { locale } = clicker;
  const id = args[0] ?? '';
  if (!clicker.access.admin) {
    logRefusal(clicker, deps, 'retry', 'admin');
    return t(locale, 'command.retryOnlyPartnerAdmins');
  }
  if (!LEAD_ID_PATTERN.test(id)) return t(locale, 'command.retryUsage');
  const referral = await deps.product.partnerCenter?.retryReferral(id);
  if (referral?.outcome === 'imported') return t(locale, 'command.retryReferralDone', { id });
  if (referral?.outcome === 'stillUnreadable') return t(locale, 'command.retryReferralStill', { id, reason: referral.reason });
  if (referral?.outcome === 'notALead') return t(locale, 'command.retryReferralNotALead', { id });
  const result = await deps.product.leads.retry(id);
  if (result.outcome === 'notParked') return t(locale, 'command.retryNothing', { id });
  if (result.outcome === 'projected') return t(locale, 'command.retryDone', { id });
  return t(locale, 'command.retryFailed', { id, reason: result.reason });
};

export const sync: CommandHandler = async (_args, clicker, deps) => renderSyncStatusCard(await deps.product.syncStatus(), { locale: clicker.locale, timeZone: clicker.timeZone }, deps.product.teamsReach());
