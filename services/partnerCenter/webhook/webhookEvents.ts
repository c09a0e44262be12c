/** What Partner Center POSTs to the webhook (once its signature was checked): which referral changed. */
import { z } from 'zod';
import { REFERRAL_ID_PATTERN } from '../referrals/referral';

const eventSchema = z.object({
  EventName: z.string().min(1).max(100),
  ResourceUri: z.string().max(2048).optional(),
  ResourceName: z.string().max(100).nullish(),
  AuditUri: z.string().max(2048).nullish(),
  ResourceChangeUtcDate: z.string().max(64).nullish(),
});

/** The events that concern referrals we may hold; others (test-created, co-sell's related-referral-*) are acknowledged and ignored. */
const REFERRAL_EVENTS = new Set(['referral-created', 'referral-updated']);

export type EventReceipt = { status: 'filed'; referralId: string } | { status: 'ignored'; reason: string } | { status: 'invalid'; issues: string[] };

export type ReferralEvent = { referralId: string; eventName: string; changedAt?: string };

/** The referral an event is about, or why it is not one to fetch. */
export function readEvent(payload: unknown): ReferralEvent | Exclude<EventReceipt, { status: 'filed' }> {
  const parsed = eventSchema.safeParse(payload);
  if (!parsed.success) return { status: 'invalid', issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  const event = parsed.data;
  if (!REFERRAL_EVENTS.has(event.EventName)) return { status: 'ignored', reason: `${event.EventName} is not a referral event` };
  const referralId = referralIdOf(event.ResourceUri ?? '');
  if (!referralId) return { status: 'invalid', issues: ['ResourceUri: names no referral'] };
  return { referralId, eventName: event.EventName, changedAt: event.ResourceChangeUtcDate ?? undefined };
}

/** The referral id at the end of a webhook's ResourceUri (…/engagements/v1/referrals/{id}). */
export function referralIdOf(resourceUri: string): string | undefined {
  let path: string;
  try {
    path = new URL(resourceUri).pathname;
  } catch {
    return undefined;
  }
  const id = decodeURIComponent(path.split('/').filter(Boolean).pop() ?? '');
  return /\/referrals\/[^/]+\/?$/i.test(path) && REFERRAL_ID_PATTERN.test(id) ? id : undefined;
}
