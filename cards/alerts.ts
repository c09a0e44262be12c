/** Short cards: deadline reminders, flame alerts, the new-leads digest and plain notices. */
import type { Lead } from '../services/leads/lead';
import { msLeft, snoozeChoices } from '../services/leads/leadTime';
import { cardTemplate, executeAction, withMentions, type ActionView, type CardAttachment, type CardMention } from './cardTemplate';
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

const renderTemplate = cardTemplate<AlertView>(alertJson);

const render = (view: AlertView, mention?: CardMention): CardAttachment => withMentions(renderTemplate(view), mention ? [mention] : []);

const mentionLine = (mention: CardMention | undefined, locale: Locale) =>
  mention ? [{ text: t(locale, 'reminder.forOwner', { name: `<at>${mention.name}</at>` }), subtle: false }] : [];

/** The snooze choices a reminder offers its person while the lead waits: a day, and until a day before it expires. */
export const SNOOZE_CHOICES = ['day', 'beforeExpiry'] as const;
export type SnoozeChoice = (typeof SNOOZE_CHOICES)[number];

/** A reminder's headline: the lead and the time it has left (`leftMs`), or that it expired. */
export function reminderHeadline(lead: Pick<Lead, 'name' | 'customer'>, leftMs: number, locale: Locale): string {
  const names = { name: lead.name, customer: lead.customer.name };
  return leftMs > 0 ? t(locale, 'reminder.text', { ...names, duration: formatDuration(leftMs, locale, 'span') }) : t(locale, 'reminder.expired', names);
}

/** An assignment's headline: who made whom the owner of what. */
export function assignedHeadline(lead: Pick<Lead, 'name' | 'customer' | 'owner'>, locale: Locale): string {
  const names = { name: lead.name, customer: lead.customer.name };
  const by = lead.owner?.by?.name;
  return by ? t(locale, 'assigned.text', { ...names, by }) : t(locale, 'assigned.textNoOne', names);
}

/**
 * "⏰ Contoso cloud migration (Contoso Ltd) expires in 2 days 3 hours", with the way to answer it.
 * `personal`: the reminder is the reader's own, who may put it off (Snooze). `mention`: the owner,
 * named where the reminder reached them in a channel instead of their personal chat.
 */
export function renderReminderCard(lead: Lead, { locale, now, timeZone, personal, mention }: Zoned & { now: Date; personal?: boolean; mention?: CardMention }): CardAttachment {
  const left = msLeft(lead, now);
  const data = actionData(lead);
  const answer =
    lead.stage === 'Received'
      ? [
          executeAction(t(locale, 'action.accept'), FORMS.accept.open, data, { style: 'positive' }),
          executeAction(t(locale, 'action.decline'), FORMS.decline.open, data),
        ]
      : [];
  const choices = personal || mention ? snoozeChoices(lead, now) : {};
  const snooze = [
    ...(choices.day ? [executeAction(t(locale, 'action.snoozeDay'), 'lead.snooze', { leadId: lead.id, until: 'day' })] : []),
    ...(choices.beforeExpiry
      ? [executeAction(t(locale, 'action.snoozeUntil', { date: formatDateTime(choices.beforeExpiry.toISOString(), { locale, timeZone }) }), 'lead.snooze', { leadId: lead.id, until: 'beforeExpiry' })]
      : []),
  ];
  return render(
    {
      style: 'warning',
      headline: reminderHeadline(lead, left, locale),
      color: null,
      lines: [...mentionLine(mention, locale), { text: t(locale, 'reminder.expires', { date: formatDateTime(lead.expiresAt, { locale, timeZone }) }), subtle: true }],
      actions: [...answer, ...snooze, executeAction(t(locale, 'action.open'), 'lead.open', data)],
    },
    mention,
  );
}

/**
 * "Dana Admin made you the owner of Contoso cloud migration (Contoso Ltd)", with the way to answer
 * it while it waits and its deadline. `mention`: the owner, named where it reached them in a
 * channel instead of their personal chat.
 */
export function renderAssignedCard(lead: Lead, { locale, timeZone, mention }: Zoned & { mention?: CardMention }): CardAttachment {
  const data = actionData(lead);
  const answer =
    lead.stage === 'Received'
      ? [executeAction(t(locale, 'action.accept'), FORMS.accept.open, data, { style: 'positive' }), executeAction(t(locale, 'action.decline'), FORMS.decline.open, data)]
      : [];
  return render(
    {
      style: 'accent',
      headline: assignedHeadline(lead, locale),
      color: null,
      lines: [...mentionLine(mention, locale), ...(lead.stage === 'Received' ? [{ text: t(locale, 'reminder.expires', { date: formatDateTime(lead.expiresAt, { locale, timeZone }) }), subtle: true }] : [])],
      actions: [...answer, executeAction(t(locale, 'action.open'), 'lead.open', data)],
    },
    mention,
  );
}

/**
 * A lead this person may not read here (they have no role, and its card is not posted in this
 * conversation): no customer data, only why. `shared`: it stands in for a card someone shared, which
 * each viewer's client refreshes again, so it turns into the lead once they may read it.
 */
export function renderRestrictedCard(leadId: string, { locale, shared, noAdmins }: { locale: Locale; shared?: boolean; /** nobody has an admin role yet: say how to begin */ noAdmins?: boolean }): CardAttachment {
  const lines = [{ text: t(locale, 'access.needViewer'), subtle: false }, ...(noAdmins ? [{ text: t(locale, 'notice.noAdmins'), subtle: true }] : [])];
  const card = render({ style: 'accent', headline: t(locale, 'access.restrictedTitle'), color: null, lines, actions: [] });
  if (!shared) return card;
  return { ...card, content: { ...card.content, refresh: { action: { type: 'Action.Execute', verb: 'refresh', data: { leadId, shared: true } } } } };
}

/** What a reminder card turns into once its person put it off: when it comes back. */
export function renderSnoozedCard(lead: Lead, until: Date, { locale, timeZone }: Zoned): CardAttachment {
  return render({
    style: 'good',
    headline: t(locale, 'snoozed.title', { name: lead.name }),
    color: null,
    lines: [{ text: t(locale, 'snoozed.until', { date: formatDateTime(until.toISOString(), { locale, timeZone }) }), subtle: false }],
    actions: [executeAction(t(locale, 'action.open'), 'lead.open', { leadId: lead.id })],
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

/** A plain notice, e.g. "Expired — not answered within 14 days; the sender is notified"; `mention` names its owner in a room. */
export function renderMessageCard(options: { locale: Locale; title?: string; text: string; tone?: 'info' | 'warning' | 'good'; mention?: CardMention }): CardAttachment {
  return render(
    {
      style: TONE_STYLE[options.tone ?? 'info'],
      headline: options.title ?? null,
      color: null,
      lines: [...mentionLine(options.mention, options.locale), { text: options.text, subtle: false }],
      actions: [],
    },
    options.mention,
  );
}
