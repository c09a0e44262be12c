/**
 * A lead and its Partner Center referral side by side: the fields both hold (status, deal, team,
 * ids), what the lead says of each, which of them a change in Teams has not yet brought to Partner
 * Center, the JSON Patch that does, and a referral's changes applied to the lead. Pure: the sync in
 * services/partnerCenter/ does the I/O.
 *
 * Three states meet here: the lead (ours), the referral as Partner Center last gave it to us
 * (`partnerCenterOf(lead).synced`, the base) and the referral as it is now (theirs). A field is
 * pending when ours differs from the base; Partner Center changed it when theirs differs.
 */
import { randomUUID } from 'node:crypto';
import { CLOSE_REASONS, OUTCOMES, type CloseReason, type Employee, type Lead, type Outcome, type Stage } from '../../leads/lead';
import { answeredAndClosed, type LeadEvent } from '../../leads/leadLifecycle';
import { partnerCenterOf, withPartnerCenter, type Member, type ReferralState } from './referralState';

/** Who Partner Center's own changes are made by, in a lead's history and on its card. */
export const PARTNER_CENTER_ACTOR = { id: 'partner-center', name: 'Partner Center' } as const;
/** The type of the audit events Partner Center's changes write. */
export const PARTNER_CENTER_EVENT = 'partnerCenter';

/** Partner Center's reason list (bulk-upload codes) in its own words: what `statusReason` carries. */
export const CLOSE_REASON_TEXT: Record<CloseReason, string> = {
  budget: 'Project budget is not adequate',
  noResponse: 'Customer did not respond',
  otherVendor: 'Customer chose another vendor',
  requirementNotMet: 'Customer requirement not met',
  notACustomer: 'Not a customer',
  timelineTooShort: 'Proposed time line was too short',
  spam: 'Report as abuse, spam or phishing',
  others: 'Others',
};

/** Partner Center's status/substatus for each of our stages. */
export function partnerCenterStatus(stage: Stage, outcome?: Outcome): { status: string; substatus: string } {
  if (stage === 'Received') return { status: 'New', substatus: 'Received' };
  if (stage === 'Accepted') return { status: 'Active', substatus: 'Accepted' };
  return { status: 'Closed', substatus: outcome ?? 'Expired' };
}

export const SYNCED_FIELDS = ['status', 'statusReason', 'dealValue', 'currency', 'closingDate', 'notes', 'campaignId', 'externalReferenceId', 'team'] as const;
export type SyncedField = (typeof SYNCED_FIELDS)[number];

/** The status and substatus as one value: they change together. */
type StatusPair = { status: string; substatus: string };
type Values = { status?: StatusPair } & Partial<Omit<Record<SyncedField, unknown>, 'status'>>;

/** Our employee as a referral team member; the name splits at its first space. */
export function employeeMember(e: Pick<Employee, 'name' | 'email' | 'phone'>): Member {
  const [firstName = '', ...rest] = e.name.trim().split(/\s+/);
  return { firstName, lastName: rest.join(' ') || undefined, email: e.email, phoneNumber: e.phone };
}

const memberName = (m: Member) => [m.firstName, m.lastName].filter(Boolean).join(' ').trim();
/** One person on both sides: the same e-mail, or the same name when there is no e-mail. */
const memberKey = (m: Member) => (m.email ? `e:${m.email.toLowerCase()}` : `n:${memberName(m).toLowerCase()}`);

/** The referral's values of the synced fields. */
function valuesOf(state: ReferralState): Values {
  const { status, substatus, team, ...rest } = state;
  return { ...rest, status: { status, substatus }, team };
}

/**
 * What the lead says of each synced field; absent where it has no say and Partner Center's value
 * stands: the status of a lead still waiting (Partner Center has it as New) or expired (Partner
 * Center expires leads itself), and a deal not yet made.
 */
export function leadSays(lead: Lead): Values {
  const says: Values = { team: teamOf(lead) };
  if (lead.stage === 'Accepted') says.status = { status: 'Active', substatus: 'Accepted' };
  if (lead.stage === 'Archived' && lead.outcome && lead.outcome !== 'Expired') {
    says.status = { status: 'Closed', substatus: lead.outcome };
    if (lead.closeReason && lead.outcome !== 'Won') says.statusReason = reasonText(lead.closeReason);
  }
  const deal = lead.deal;
  if (deal && lead.stage !== 'Received') {
    says.dealValue = deal.value;
    says.currency = deal.currency;
    says.closingDate = deal.purchaseDate;
    says.notes = deal.notes;
    says.campaignId = deal.campaignId;
    says.externalReferenceId = deal.crmId;
  }
  return says;
}

/**
 * The lead's people as the referral's team: its employees, and its owner if they are not one of
 * them. A closed lead adds no one new (Partner Center's team of a closed referral stands), but
 * keeps an owner already written there.
 */
function teamOf(lead: Lead): Member[] {
  const team = lead.employees.map(employeeMember);
  const owner = lead.owner && employeeMember({ name: lead.owner.name, email: lead.owner.email });
  if (!owner || team.some((m) => memberKey(m) === memberKey(owner))) return team;
  const written = partnerCenterOf(lead).synced?.team?.some((m) => memberKey(m) === memberKey(owner));
  return lead.stage !== 'Archived' || written ? [...team, owner] : team;
}

export const reasonText = (reason: NonNullable<Lead['closeReason']>): string =>
  reason.notes ? `${CLOSE_REASON_TEXT[reason.code]}: ${reason.notes}` : CLOSE_REASON_TEXT[reason.code];

function same(field: SyncedField, a: unknown, b: unknown): boolean {
  if (field === 'team') return teamKey((a ?? []) as Member[]) === teamKey((b ?? []) as Member[]);
  if (field === 'status') {
    const [x, y] = [a as StatusPair | undefined, b as StatusPair | undefined];
    return x?.status === y?.status && x?.substatus === y?.substatus;
  }
  const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
  // A reason is the same reason in our words or in Partner Center's ("Others: x" is how we write x).
  if (field === 'statusReason' && typeof a === 'string' && typeof b === 'string') return JSON.stringify(reasonFromText(a)) === JSON.stringify(reasonFromText(b));
  return blank(a) === blank(b);
}

const teamKey = (team: Member[]) =>
  team
    .map((m) => `${memberKey(m)}|${memberName(m)}|${m.phoneNumber ?? ''}`)
    .sort()
    .join('\n');

/**
 * The synced fields a change in Teams has not yet brought to Partner Center. A lead without a base
 * (stored before the sync existed) has none until the sync reads its referral.
 */
export function pendingFields(lead: Lead): SyncedField[] {
  const base = partnerCenterOf(lead).synced;
  if (!base) return [];
  const ours = leadSays(lead);
  const theirs = valuesOf(base);
  return SYNCED_FIELDS.filter((f) => f in ours && ours[f] !== undefined && !same(f, ours[f], theirs[f]));
}

/**
 * Where the lead stands with Partner Center: `done` (nothing to write back), `pending` (a change
 * is on its way), `refused` (Partner Center refused the last write-back, and nothing changed since:
 * sending it again would be refused again).
 */
export function syncState(lead: Lead): 'done' | 'pending' | 'refused' {
  if (pendingFields(lead).length === 0) return 'done';
  const refused = partnerCenterOf(lead).rejected;
  return refused && refused.revision >= lead.revision ? 'refused' : 'pending';
}

export interface PatchOp {
  op: 'replace' | 'add';
  path: string;
  value: unknown;
}

const PATHS: Record<Exclude<SyncedField, 'status'>, string> = {
  statusReason: '/statusReason',
  dealValue: '/details/dealValue',
  currency: '/details/currency',
  closingDate: '/details/closingDateTime',
  notes: '/details/notes',
  campaignId: '/campaignId',
  externalReferenceId: '/externalReferenceId',
  team: '/team',
};

/**
 * The JSON Patch (replace and add only, as Partner Center takes) that brings these fields of the
 * referral as it is (`theirs`) to what the lead says. New team members are added one at a time
 * (`add /team/-`, as Partner Center documents it); a removal or a changed member replaces the team
 * whole (`replace /team`): the members Partner Center has, less those removed in Teams, plus those
 * added. Either way If-Match keeps a retry from adding anyone twice.
 */
export function patchFor(fields: SyncedField[], lead: Lead, theirs: ReferralState): PatchOp[] {
  const ours = leadSays(lead);
  const current = valuesOf(theirs);
  const ops: PatchOp[] = [];
  for (const field of fields) {
    if (field === 'status') {
      const want = ours.status && statusStep(theirs, ours.status);
      if (!want) continue;
      ops.push({ op: 'replace', path: '/status', value: want.status }, { op: 'replace', path: '/substatus', value: want.substatus });
      continue;
    }
    const op = current[field] === undefined ? 'add' : 'replace';
    if (field === 'team') {
      ops.push(...teamOps(lead, theirs));
      continue;
    }
    const value = ours[field];
    if (value === undefined) continue;
    ops.push({ op, path: PATHS[field], value: field === 'closingDate' ? `${String(value)}T00:00:00Z` : value });
  }
  return ops;
}

/**
 * The status to send now: a lead accepted and then won (or lost) in Teams before Partner Center
 * heard of either goes as Accepted first, as it went in Teams, then as Won or Lost.
 */
function statusStep(theirs: ReferralState, want: StatusPair): StatusPair {
  const closesAnAccept = want.status === 'Closed' && (want.substatus === 'Won' || want.substatus === 'Lost');
  return theirs.status === 'New' && closesAnAccept ? { status: 'Active', substatus: 'Accepted' } : want;
}

/** Members only added: one `add /team/-` each. Otherwise (someone removed or changed: Partner Center has a team) the whole team, replaced. */
function teamOps(lead: Lead, theirs: ReferralState): PatchOp[] {
  const merged = mergedTeam(lead, theirs);
  const same = (a: Member | undefined, b: Member) => a !== undefined && JSON.stringify(defined(a)) === JSON.stringify(defined(b));
  const onlyAdded = theirs.team.every((member, i) => same(merged[i], member));
  if (onlyAdded) return merged.slice(theirs.team.length).map((member) => ({ op: 'add', path: `${PATHS.team}/-`, value: defined(member) }));
  return [{ op: 'replace', path: PATHS.team, value: merged.map(defined) }];
}

function mergedTeam(lead: Lead, theirs: ReferralState): Member[] {
  const base = partnerCenterOf(lead).synced?.team ?? theirs.team;
  const ours = leadSays(lead).team as Member[];
  const oursByKey = new Map(ours.map((m) => [memberKey(m), m]));
  const baseKeys = new Set(base.map(memberKey));
  const removed = new Set([...baseKeys].filter((k) => !oursByKey.has(k)));
  const kept = theirs.team.filter((m) => !removed.has(memberKey(m))).map((m) => ({ ...m, ...defined(oursByKey.get(memberKey(m)) ?? {}) }));
  const keptKeys = new Set(kept.map(memberKey));
  return [...kept, ...ours.filter((m) => !keptKeys.has(memberKey(m)))];
}

const defined = (member: Member): Member => Object.fromEntries(Object.entries(member).filter(([, value]) => value !== undefined)) as Member;

/** How Partner Center's statuses move (its transition table); Closed is final. */
const NEXT_STATUS: Record<string, readonly string[]> = { New: ['New', 'Active', 'Closed'], Active: ['Active', 'Closed'], Closed: ['Closed'] };

const stageOf = (state: StatusPair): { stage: Stage; outcome?: Outcome } => {
  if (state.status === 'Active') return { stage: 'Accepted' };
  if (state.status === 'Closed') {
    const outcome = (OUTCOMES as readonly string[]).includes(state.substatus) ? (state.substatus as Outcome) : 'Expired';
    return { stage: 'Archived', outcome };
  }
  return { stage: 'Received' };
};

/**
 * Whether the lead's pending changes still make sense on the referral as it is now: not once it is
 * closed there, and a status only where Teams could have moved it from Partner Center's (an Accept
 * on a referral still new, a Won on one accepted; not a Decline on one accepted in the portal).
 */
export function stillApplies(lead: Lead, theirs: ReferralState): boolean {
  const pending = pendingFields(lead);
  if (pending.length === 0) return true;
  const want = leadSays(lead).status;
  if (theirs.status === 'Closed') return !!want && same('status', want, { status: theirs.status, substatus: theirs.substatus }) && pending.every((f) => f === 'status');
  if (!pending.includes('status') || !want) return true;
  if (!(NEXT_STATUS[theirs.status] ?? []).includes(want.status)) return false;
  const from = stageOf(theirs).stage;
  const to = stageOf(want).stage;
  return from === to || (from === 'Received' && to !== 'Received') || (from === 'Accepted' && to === 'Archived' && (want.substatus === 'Won' || want.substatus === 'Lost'));
}

export type ReferralApplied = {
  lead: Lead;
  events: LeadEvent[];
  /** The lead's own changes Partner Center's state overruled (they were not written back). */
  overruled: SyncedField[];
  /** Anything people see changed (not only the eTag). */
  visible: boolean;
};

/**
 * The lead after Partner Center's referral as it is now (`theirs`): every field Partner Center
 * changed since the base is taken, unless the lead has its own change of it on the way (that one
 * is written back instead); if Partner Center's state overrules the lead's pending changes (it
 * closed the referral, or accepted one declined in Teams), the lead takes Partner Center's state
 * whole. The base becomes `theirs`. Undefined when there is nothing to record.
 */
export function applyReferral(lead: Lead, theirs: ReferralState, now: Date): ReferralApplied | undefined {
  // An older copy than the base (a poll page read before a write-back's answer came) says nothing new.
  const record = partnerCenterOf(lead);
  const known = record.synced?.updatedDateTime;
  if (known && theirs.updatedDateTime && Date.parse(theirs.updatedDateTime) < Date.parse(known)) return undefined;
  // A lead stored before the sync existed takes the referral as its base: what differs is the lead's to write back.
  const base = record.synced ?? theirs;
  const withBase = withPartnerCenter(lead, { ...record, synced: base });
  const pending = pendingFields(withBase);
  const overruled = stillApplies(withBase, theirs) ? [] : pending;
  const baseValues = valuesOf(base);
  const theirValues = valuesOf(theirs);
  const ours = leadSays(withBase);
  const take = SYNCED_FIELDS.filter((f) =>
    overruled.length > 0 ? ours[f] !== undefined && !same(f, ours[f], theirValues[f]) : !pending.includes(f) && !same(f, baseValues[f], theirValues[f]),
  );
  const expires = theirs.expirationDateTime && Date.parse(theirs.expirationDateTime) !== Date.parse(lead.expiresAt) ? new Date(theirs.expirationDateTime).toISOString() : undefined;

  const change: Partial<Lead> = {};
  if (take.includes('status')) Object.assign(change, stageOf(theirs), { outcome: stageOf(theirs).outcome });
  const stage = change.stage ?? lead.stage;
  const dealFields = take.filter((f) => ['dealValue', 'currency', 'closingDate', 'notes', 'campaignId', 'externalReferenceId'].includes(f));
  if (dealFields.length > 0 || (take.includes('status') && stage !== 'Received' && !lead.deal)) {
    const deal = lead.deal ?? { name: lead.name };
    change.deal = {
      ...deal,
      ...(take.includes('dealValue') || !lead.deal ? { value: theirs.dealValue } : {}),
      ...(take.includes('currency') || !lead.deal ? { currency: theirs.currency } : {}),
      ...(take.includes('closingDate') || !lead.deal ? { purchaseDate: theirs.closingDate } : {}),
      ...(take.includes('notes') ? { notes: theirs.notes } : {}),
      ...(take.includes('campaignId') ? { campaignId: theirs.campaignId } : {}),
      ...(take.includes('externalReferenceId') ? { crmId: theirs.externalReferenceId } : {}),
    };
  }
  if (take.includes('statusReason') || (take.includes('status') && stage === 'Archived')) {
    change.closeReason = theirs.statusReason && change.outcome !== 'Won' ? reasonFromText(theirs.statusReason) : undefined;
  }
  if (take.includes('team')) change.employees = employeesFrom(theirs.team, lead.employees);
  if (expires) change.expiresAt = expires;

  const visibleKeys = Object.keys(change).filter((k) => JSON.stringify(lead[k as keyof Lead]) !== JSON.stringify(change[k as keyof Lead]));
  const eTagMoved = record.synced?.eTag !== theirs.eTag || !record.synced;
  if (visibleKeys.length === 0 && !eTagMoved && overruled.length === 0) return undefined;

  const visible = visibleKeys.length > 0;
  const at = now.toISOString();
  const changed: Lead = {
    ...lead,
    ...change,
    version: lead.version + 1,
    revision: visible ? lead.revision + 1 : lead.revision,
    lastAction: visible ? { kind: lastActionKind(lead, change), by: { ...PARTNER_CENTER_ACTOR }, at: theirs.updatedDateTime ?? at } : lead.lastAction,
    // Counted by Partner Center's own time of the change.
    ...answeredAndClosed(lead, change, theirs.updatedDateTime ?? at),
  };
  if (changed.stage !== 'Archived') delete changed.outcome;
  const { rejected, ...kept } = record;
  const synced = withPartnerCenter(changed, { ...kept, externalReferenceId: theirs.externalReferenceId ?? record.externalReferenceId, synced: theirs });
  // A refusal stays on the card until nothing is left to write back.
  const next = rejected && pendingFields(synced).length > 0 ? withPartnerCenter(synced, { ...partnerCenterOf(synced), rejected }) : synced;
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const key of visibleKeys as (keyof Lead)[]) {
    before[key] = lead[key] ?? null;
    after[key] = next[key] ?? null;
  }
  if (overruled.length > 0) after.overruled = overruled;
  const events: LeadEvent[] = visible || overruled.length > 0 ? [{ seq: next.version, type: PARTNER_CENTER_EVENT, actor: { ...PARTNER_CENTER_ACTOR }, at, before, after }] : [];
  return { lead: next, events, overruled, visible };
}

function lastActionKind(lead: Lead, change: Partial<Lead>): string {
  if (change.stage && change.stage !== lead.stage) {
    if (change.stage === 'Accepted') return 'accept';
    if (change.stage === 'Received') return 'edit';
    return { Won: 'markWon', Lost: 'markLost', Declined: 'decline', Expired: 'expire' }[change.outcome ?? 'Expired'];
  }
  if (change.employees && Object.keys(change).length === 1) return 'addEmployee';
  return 'edit';
}

/** Partner Center's reason text back to our code: its own list ("Customer chose another vendor"), else "Others" with the text as notes. */
export function reasonFromText(text: string): { code: CloseReason; notes?: string } {
  for (const code of CLOSE_REASONS) {
    const label = CLOSE_REASON_TEXT[code];
    if (text === label) return { code };
    if (text.startsWith(`${label}: `)) return { code, notes: text.slice(label.length + 2) };
  }
  return { code: 'others', notes: text };
}

function employeesFrom(team: Member[], current: Employee[]): Employee[] {
  const byKey = new Map(current.map((e) => [memberKey(employeeMember(e)), e]));
  return team.map((m) => {
    const existing = byKey.get(memberKey(m));
    const name = memberName(m) || m.email || 'Unnamed';
    return { id: existing?.id ?? randomUUID(), name, email: m.email, phone: m.phoneNumber };
  });
}
