/**
 * The lead lifecycle as a pure function: (lead, command, actor, now) → the next lead and its
 * audit events, or a typed error. No I/O, no clock of its own.
 */
import { randomUUID } from 'node:crypto';
import { toFieldIssues, type FieldIssue } from '../errors';
import type { ActorRef, Lead, Outcome, Stage } from './lead';
import { leadCommandSchema, MANAGING_COMMANDS, OWNER_COMMANDS, type CommandKind, type LeadCommand, type ParsedLeadCommand } from './leadCommands';

export type Actor =
  | { kind: 'user'; id: string; name: string; canManage: boolean; teamsUserId?: string }
  | { kind: 'system' };

export const SYSTEM_ACTOR: ActorRef = { id: 'system', name: 'Partner Leads' };

export interface LeadEvent {
  seq: number; // the lead version this event produced
  /** The command, 'receive', 'remind', or the name of the outside system that changed the lead. */
  type: CommandKind | 'receive' | 'remind' | (string & {});
  actor: ActorRef;
  at: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export type TransitionError =
  | { code: 'validation'; issues: FieldIssue[] }
  /** Someone else took the lead first. */
  | { code: 'taken'; lead: Lead }
  | { code: 'forbidden'; command: CommandKind }
  | { code: 'invalid_transition'; command: CommandKind; stage: Stage; outcome?: Outcome }
  | { code: 'stale'; command: CommandKind; lead: Lead };

export type TransitionResult = { ok: true; lead: Lead; events: LeadEvent[] } | { ok: false; error: TransitionError };

/** Which commands each stage takes. Archived takes nothing. */
export const ALLOWED: Record<Stage, ReadonlySet<CommandKind>> = {
  Received: new Set(['accept', 'decline', 'expire', 'favorite', 'unfavorite', 'take', 'assign', 'snooze']),
  Accepted: new Set(['edit', 'addEmployee', 'removeEmployee', 'markWon', 'markLost', 'favorite', 'unfavorite', 'take', 'assign']),
  Archived: new Set(),
};

const MAX_EMPLOYEES = 25;
const MAX_FAVORITES = 500;

export function actorRef(actor: Actor): ActorRef {
  return actor.kind === 'system' ? SYSTEM_ACTOR : { id: actor.id, name: actor.name };
}

export function transition(lead: Lead, command: LeadCommand, actor: Actor, now: Date): TransitionResult {
  const parsed = leadCommandSchema.safeParse(command);
  if (!parsed.success) return fail({ code: 'validation', issues: toFieldIssues(parsed.error.issues) });
  const cmd = parsed.data;

  if (cmd.kind === 'expire' ? actor.kind !== 'system' : MANAGING_COMMANDS.has(cmd.kind) && !(actor.kind === 'user' && actor.canManage)) {
    return fail({ code: 'forbidden', command: cmd.kind });
  }
  if (!ALLOWED[lead.stage].has(cmd.kind)) {
    return fail({ code: 'invalid_transition', command: cmd.kind, stage: lead.stage, outcome: lead.outcome });
  }
  if (cmd.kind === 'edit' && cmd.expectedRevision !== undefined && cmd.expectedRevision !== lead.revision) {
    return fail({ code: 'stale', command: cmd.kind, lead });
  }
  if (cmd.kind === 'take' && lead.owner && actor.kind === 'user' && lead.owner.id !== actor.id) return fail({ code: 'taken', lead });

  const at = now.toISOString();
  const change = apply(lead, cmd, actor, at);
  if ('issues' in change) return fail({ code: 'validation', issues: change.issues });

  const business = (MANAGING_COMMANDS.has(cmd.kind) && !OWNER_COMMANDS.has(cmd.kind)) || cmd.kind === 'expire';
  const by = actorRef(actor);
  const next: Lead = {
    ...lead,
    ...change,
    version: lead.version + 1,
    revision: business ? lead.revision + 1 : lead.revision,
    lastAction: business ? { kind: cmd.kind, by, at } : lead.lastAction,
    ...answeredAndClosed(lead, change, at),
  };

  const event: LeadEvent = { seq: next.version, type: cmd.kind, actor: by, at, ...diff(lead, change) };
  return { ok: true, lead: next, events: [event] };
}

function apply(lead: Lead, cmd: ParsedLeadCommand, actor: Actor, at: string): Partial<Lead> | { issues: FieldIssue[] } {
  const self = (teamsUserId?: string, email?: string): Lead['owner'] =>
    actor.kind === 'user' ? { id: actor.id, name: actor.name, teamsUserId: teamsUserId ?? actor.teamsUserId, email, since: at, by: actorRef(actor) } : undefined;
  switch (cmd.kind) {
    case 'accept': {
      const employees = [...lead.employees, ...cmd.employees.map((e) => ({ ...e, id: randomUUID() }))];
      // Whoever accepts a lead nobody owns takes it on.
      return { stage: 'Accepted', deal: cmd.deal, employees, owner: lead.owner ?? self() };
    }
    case 'take':
      return lead.owner?.id === (actor.kind === 'user' ? actor.id : '') ? { owner: lead.owner } : { owner: self(cmd.teamsUserId, cmd.email) };
    case 'assign':
      if (lead.owner?.id === cmd.owner.id.toLowerCase()) return { owner: lead.owner };
      return { owner: { ...cmd.owner, id: cmd.owner.id.toLowerCase(), since: at, by: actorRef(actor) } };
    case 'snooze': {
      if (actor.kind !== 'user') return { issues: [{ path: 'actor', message: 'Only a person can put off their reminders' }] };
      if (Date.parse(cmd.until) > Date.parse(lead.expiresAt)) return { issues: [{ path: 'until', message: 'Snooze until before the lead expires' }] };
      return { snoozed: { ...lead.snoozed, [actor.id]: new Date(cmd.until).toISOString() } };
    }
    case 'decline':
      return { stage: 'Archived', outcome: 'Declined', closeReason: { code: cmd.reason, notes: cmd.notes } };
    case 'edit':
      return { deal: cmd.deal };
    case 'addEmployee': {
      const duplicate = lead.employees.some(
        (e) => e.name.toLowerCase() === cmd.employee.name.toLowerCase() && (e.email ?? '') === (cmd.employee.email ?? ''),
      );
      if (duplicate) return { issues: [{ path: 'employee.name', message: `${cmd.employee.name} is already on this deal` }] };
      if (lead.employees.length >= MAX_EMPLOYEES) {
        return { issues: [{ path: 'employee', message: `A deal can have at most ${MAX_EMPLOYEES} employees` }] };
      }
      return { employees: [...lead.employees, { ...cmd.employee, id: randomUUID() }] };
    }
    case 'removeEmployee': {
      const employees = lead.employees.filter((e) => e.id !== cmd.employeeId);
      if (employees.length === lead.employees.length) {
        return { issues: [{ path: 'employeeId', message: 'That employee is not on this deal' }] };
      }
      return { employees };
    }
    case 'markWon':
      return { stage: 'Archived', outcome: 'Won', closeReason: undefined, deal: withNotes(lead, cmd.notes) };
    case 'markLost':
      return {
        stage: 'Archived',
        outcome: 'Lost',
        closeReason: cmd.reason || cmd.notes ? { code: cmd.reason ?? 'others', notes: cmd.notes } : undefined,
      };
    case 'expire':
      return { stage: 'Archived', outcome: 'Expired' };
    case 'favorite': {
      if (actor.kind !== 'user') return { issues: [{ path: 'actor', message: 'Only a person can favorite a lead' }] };
      if (lead.favorites.some((f) => f.id === actor.id)) return { favorites: lead.favorites };
      if (lead.favorites.length >= MAX_FAVORITES) return { issues: [{ path: 'favorites', message: 'Too many favorites' }] };
      return { favorites: [...lead.favorites, { id: actor.id, name: actor.name, teamsUserId: cmd.teamsUserId ?? actor.teamsUserId }] };
    }
    case 'unfavorite':
      return { favorites: lead.favorites.filter((f) => actor.kind !== 'user' || f.id !== actor.id) };
  }
}

/** The first answer and the archiving, stamped when they happen (never moved later). */
export function answeredAndClosed(lead: Lead, change: Partial<Lead>, at: string): Pick<Lead, 'answeredAt' | 'closedAt'> {
  const stage = change.stage ?? lead.stage;
  const answered = lead.stage === 'Received' && stage !== 'Received' && change.outcome !== 'Expired';
  return {
    answeredAt: lead.answeredAt ?? (answered ? at : undefined),
    closedAt: lead.closedAt ?? (stage === 'Archived' && lead.stage !== 'Archived' ? at : undefined),
  };
}

function withNotes(lead: Lead, notes: string | undefined): Lead['deal'] {
  if (!notes || !lead.deal) return lead.deal;
  return { ...lead.deal, notes: lead.deal.notes ? `${lead.deal.notes}\n${notes}` : notes };
}

/** The top-level fields a change touches, before and after: the audit trail's "before → after". */
function diff(lead: Lead, change: Partial<Lead>): Pick<LeadEvent, 'before' | 'after'> {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const key of Object.keys(change) as (keyof Lead)[]) {
    if (JSON.stringify(lead[key]) === JSON.stringify(change[key])) continue;
    before[key] = lead[key] ?? null;
    after[key] = change[key] ?? null;
  }
  return { before, after };
}

function fail(error: TransitionError): TransitionResult {
  return { ok: false, error };
}
