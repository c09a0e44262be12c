/** Short cards: deadline reminders, flame alerts, the new-leads digest and plain notices. */
import type { Lead } from '../services/leads/lead';
import { msLeft } from '../services/leads/leadTime';
import { cardTemplate, executeAction, type ActionView, type CardAttachment } from './cardTemplate';
import { actionData } from './leadText';
import { formatDateTime, formatDuration, t, tn, type Locale, type Zoned } from './locale';
import alertJson from './templates/alert.json';
import { FORMS } from './leadForm';

interface AlertView {
  style: 'attention' | 'warning' | 'good' | 'accent' | null;
  headline: string | null;
  color: 'Attention' | 'Warning' | 'Good' | null;
  lines: { text: string; subtle: boolean }[];
  actions: ActionView[];
}

const render = cardTemplate<AlertView>(alertJson);

/** "⏰ Contoso cloud migration (Contoso Ltd) expires in 2 days 3 hours", with the way to answer it. */
export function renderReminderCard(lead: Lead, { locale, now, timeZone }: Zoned & { now: Date }): CardAttachment {
  const left = msLeft(lead, now);
  const names = { name: lead.name, customer: lead.customer.name };
  const data = actionData(lead);
  const answer =
    lead.stage === 'Received'
      ? [
          executeAction(t(locale, 'action.accept'), FORMS.accept.open, data, { style: 'positive' }),
          executeAction(t(locale, 'action.decline'), FORMS.decline.open, data),
        ]
      : [];
  return render({
    style: 'warning',
    headline: left > 0 ? t(locale, 'reminder.text', { ...names, duration: formatDuration(left, locale, 'span') }) : t(locale, 'reminder.expired', names),
    color: null,
    lines: [{ text: t(locale, 'reminder.expires', { date: formatDateTime(lead.expiresAt, { locale, timeZone }) }), subtle: true }],
    actions: [...answer, executeAction(t(locale, 'action.open'), 'lead.open', data)],
  });
}

/** Sent when a customer asks to be contacted: the first hours decide. */
export function renderFlameAlertCard(lead: Lead, { locale }: { locale: Locale }): CardAttachment {
  return render({
    style: 'attention',
    headline: t(locale, 'flameAlert.text', { customer: lead.customer.name }),
    color: 'Attention',
    lines: [{ text: lead.name, subtle: false }],
    actions: [executeAction(t(locale, 'action.openLead'), 'lead.open', { leadId: lead.id })],
  });
}

/** One card for a batch of new leads instead of one card each: a line per lead, and the lists. */
export function renderDigestCard({ count, leads = [], locale }: { count: number; leads?: Lead[]; locale: Locale }): CardAttachment {
  return render({
    style: 'accent',
    headline: tn(locale, 'digest.text', count),
    color: null,
    lines: leads.map((lead) => ({ text: `${lead.flame ? '🔥 ' : ''}${lead.name} · ${lead.customer.name}`, subtle: false })),
    actions: [
      executeAction(t(locale, 'list.title.marketplace'), 'list.page', { view: 'marketplace' }),
      executeAction(t(locale, 'list.title.qualified'), 'list.page', { view: 'qualified' }),
    ],
  });
}

const TONE_STYLE = { info: null, warning: 'warning', good: 'good' } as const;

/** A plain notice, e.g. "Expired — not answered within 14 days; the sender is notified". */
export function renderMessageCard(options: { locale: Locale; title?: string; text: string; tone?: 'info' | 'warning' | 'good' }): CardAttachment {
  return render({
    style: TONE_STYLE[options.tone ?? 'info'],
    headline: options.title ?? null,
    color: null,
    lines: [{ text: options.text, subtle: false }],
    actions: [],
  });
}
