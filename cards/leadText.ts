/** How a lead's type, stage, outcome and people read in a locale: shared by every lead-related card. */
import type { CloseReason, LeadType, Outcome, Person, Stage } from '../services/leads/lead';
import { t, type Locale } from './locale';

export const typeLabel = (type: LeadType, locale: Locale): string => t(locale, `type.${type}`);

export const outcomeLabel = (outcome: Outcome, locale: Locale): string => t(locale, `outcome.${outcome}`);

/** "Received", "Accepted", "Archived · Won". */
export function stageLabel(stage: Stage, outcome: Outcome | undefined, locale: Locale): string {
  if (stage === 'Archived' && outcome) return t(locale, 'stage.archivedAs', { outcome: outcomeLabel(outcome, locale) });
  return t(locale, `stage.${stage}`);
}

/** Partner Center's reason text (CLOSE_REASON_TEXT in English), localized. */
export const reasonLabel = (reason: CloseReason, locale: Locale): string => t(locale, `reason.${reason}`);

/** "Dana Admin · dana@contoso.com · +1 555 0100": whatever the person has. */
export const personLine = (person: Person): string => [person.name, person.email, person.phone].filter(Boolean).join(' · ');

export const actionData = (lead: { id: string; revision: number }) => ({ leadId: lead.id, revision: lead.revision });
