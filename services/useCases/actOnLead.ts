/**
 * Use case: a person (or the system) acts on a lead. Reads the lead, runs the lifecycle, writes
 * the result conditional on the ETag it read; a lost race is run again on the fresh lead, so a
 * change that still applies is never lost. Safe to call again with the same input: a retry of an
 * action that already happened answers "unchanged" instead of failing.
 */
import type { Lead } from '../leads/lead';
import { transition, type Actor, type TransitionError } from '../leads/leadLifecycle';
import { leadCommandSchema, type LeadCommand } from '../leads/leadCommands';
import type { LeadStore, PendingEffects, StoredLead } from '../storage/leadStore';

export type ActResult =
  | { status: 'changed'; lead: Lead }
  | { status: 'unchanged'; lead: Lead }
  | { status: 'conflict'; lead: Lead }
  | { status: 'rejected'; lead: Lead; error: TransitionError }
  | { status: 'not_found' };

const MAX_ATTEMPTS = 6;

export async function actOnLead(
  leadId: string,
  command: LeadCommand,
  actor: Actor,
  deps: { leads: LeadStore; now: () => Date },
  /** The lead as the caller just read it with `getForChange` (saves a read on the first try). */
  current?: StoredLead,
): Promise<ActResult> {
  for (let attempt = 1; ; attempt++) {
    const stored = attempt === 1 && current ? current : await deps.leads.getForChange(leadId);
    if (!stored) return { status: 'not_found' };
    const outcome = await attemptChange(stored, command, actor, deps, attempt);
    if (outcome?.status === 'changed') return outcome;
    // No change was made from this read: its projection hint has nothing to point at.
    await deps.leads.dropHint(leadId, stored);
    if (outcome) return outcome;
    // Lost a race: try again on the fresh lead.
  }
}

/** One try on the lead as read: the result, or undefined when another change won the race (try again). */
async function attemptChange(stored: StoredLead, command: LeadCommand, actor: Actor, deps: { leads: LeadStore; now: () => Date }, attempt: number): Promise<ActResult | undefined> {
  const result = transition(stored.lead, command, actor, deps.now());
  if (!result.ok) {
    if (isReplay(stored.lead, command, actor, result.error)) return { status: 'unchanged', lead: stored.lead };
    // Someone else moved the lead first: the caller shows who, not an error.
    if (result.error.code === 'invalid_transition' && stored.lead.lastAction) return { status: 'conflict', lead: stored.lead };
    return { status: 'rejected', lead: stored.lead, error: result.error };
  }
  const event = result.events[0];
  if (event && Object.keys(event.after).length === 0) return { status: 'unchanged', lead: stored.lead };

  const written = await deps.leads.update(result.lead, stored, result.events, effectsOf(command, actor));
  if (written.ok) return { status: 'changed', lead: written.stored.lead };
  return attempt >= MAX_ATTEMPTS ? { status: 'conflict', lead: written.current.lead } : undefined;
}

/** What a change owes besides its cards: an expiry notice, a snooze to file, telling a person someone else made them the owner. */
function effectsOf(command: LeadCommand, actor: Actor): PendingEffects {
  if (command.kind === 'expire') return { expiredNotice: true };
  if (command.kind === 'assign') {
    const owner = command.owner.id.toLowerCase();
    return actor.kind === 'user' && actor.id.toLowerCase() === owner ? {} : { assignedTo: owner };
  }
  return command.kind === 'snooze' ? { snoozed: true } : {};
}

/**
 * The same person sending an action whose result already holds: Teams retried, or a double click.
 * Recognised by the last action (same kind, same person) and, where the command carries data,
 * by that data already being on the lead.
 */
function isReplay(lead: Lead, command: LeadCommand, actor: Actor, error: TransitionError): boolean {
  if (actor.kind !== 'user' || lead.lastAction?.kind !== command.kind || lead.lastAction.by.id !== actor.id) return false;
  if (error.code === 'invalid_transition') return true;
  const parsed = leadCommandSchema.safeParse(command);
  if (!parsed.success) return false;
  const cmd = parsed.data;
  if (error.code === 'stale' && cmd.kind === 'edit') return JSON.stringify(lead.deal) === JSON.stringify(cmd.deal);
  if (error.code === 'validation' && cmd.kind === 'addEmployee') {
    return lead.employees.some((e) => e.name.toLowerCase() === cmd.employee.name.toLowerCase() && (e.email ?? '') === (cmd.employee.email ?? ''));
  }
  return false;
}
