/**
 * Use case: a person (or the system) acts on a lead. Reads the lead, runs the lifecycle, writes
 * the result conditional on the ETag it read. Safe to call again with the same input: a retry of
 * an action that already happened answers "unchanged" instead of failing.
 */
import type { Lead } from './lead';
import { transition, type Actor, type TransitionError } from './leadLifecycle';
import type { LeadCommand } from './leadCommands';
import type { LeadStore, PendingEffects } from './leadStore';

export type ActResult =
  | { status: 'changed'; lead: Lead }
  | { status: 'unchanged'; lead: Lead }
  | { status: 'conflict'; lead: Lead }
  | { status: 'rejected'; lead: Lead; error: TransitionError }
  | { status: 'not_found' };

/** Per-user toggles commute with everything else, so a lost race is simply retried. */
const RETRIED_ON_CONFLICT = new Set<LeadCommand['kind']>(['favorite', 'unfavorite']);

export async function actOnLead(
  leadId: string,
  command: LeadCommand,
  actor: Actor,
  deps: { leads: LeadStore; now: () => Date },
): Promise<ActResult> {
  for (let attempt = 0; ; attempt++) {
    const stored = await deps.leads.get(leadId);
    if (!stored) return { status: 'not_found' };
    const result = transition(stored.lead, command, actor, deps.now());

    if (!result.ok) {
      if (isReplay(stored.lead, command, actor, result.error)) return { status: 'unchanged', lead: stored.lead };
      // Someone else moved the lead first: the caller shows who, not an error.
      if (result.error.code === 'invalid_transition' && stored.lead.lastAction) return { status: 'conflict', lead: stored.lead };
      return { status: 'rejected', lead: stored.lead, error: result.error };
    }
    const event = result.events[0];
    if (event && Object.keys(event.after).length === 0) return { status: 'unchanged', lead: stored.lead };

    const effects: PendingEffects =
      command.kind === 'expire'
        ? { expiredNotice: true }
        : command.kind === 'unfavorite' && actor.kind === 'user'
          ? { unfavoritedBy: actor.id }
          : {};
    const written = await deps.leads.update(result.lead, stored.etag, result.events, effects);
    if (written.ok) return { status: 'changed', lead: written.stored.lead };
    if (!RETRIED_ON_CONFLICT.has(command.kind) || attempt >= 5) return { status: 'conflict', lead: written.current.lead };
  }
}

/** The same person sending the action that already moved the lead: Teams retried, or a double click. */
function isReplay(lead: Lead, command: LeadCommand, actor: Actor, error: TransitionError): boolean {
  if (error.code !== 'invalid_transition' || actor.kind !== 'user') return false;
  return lead.lastAction?.kind === command.kind && lead.lastAction.by.id === actor.id;
}
