/** Renders what services/ asks to send (an OutboundMessage) as a Teams activity. */
import { CardFactory, type Activity } from 'botbuilder';
import {
  assignedHeadline,
  reminderHeadline,
  renderDigestCard,
  renderAssignedCard,
  renderFlameAlertCard,
  renderInsightsCard,
  renderLeadCard,
  renderNeedsAnswerCard,
  renderMessageCard,
  renderOverruledCard,
  renderReminderCard,
  renderSyncHealthCard,
  resolveLocale,
  t,
} from '../cards';
import type { OutboundMessage } from '../services/delivery/teamsGateway';
import type { Conversation } from '../services/useCases/conversations';
import { refreshUserIds } from './invokes/cardViews';

export interface RenderSettings {
  now: () => Date;
  flameWindowHours: number;
  responseDays: number;
}

export function outboundActivity(message: OutboundMessage, conversation: Conversation, settings: RenderSettings): Partial<Activity> {
  // The conversation's chosen language, else the one it speaks.
  const language = conversation.settings.language;
  const locale = language === 'auto' ? resolveLocale(conversation.locale) : language;
  const now = settings.now();
  const card = (() => {
    switch (message.kind) {
      case 'leadCard':
        // The shared card: everyone sees ♡; favoriters' clients refresh to their own ♥ view.
        return renderLeadCard(message.lead, {
          locale,
          now,
          flameWindowHours: settings.flameWindowHours,
          refreshUserIds: refreshUserIds(message.lead),
          outside: message.outside,
          mentions: message.mentions,
        });
      case 'reminder':
        return renderReminderCard(message.lead, { locale, now, personal: message.personal, mention: message.mention });
      case 'flameAlert':
        return renderFlameAlertCard(message.lead, { locale });
      case 'assigned':
        return renderAssignedCard(message.lead, { locale, mention: message.mention });
      case 'expiredNotice':
        return renderMessageCard({
          locale,
          title: message.lead.name,
          text: t(locale, 'notice.expired', { days: settings.responseDays }),
          tone: 'warning',
          mention: message.mention,
        });
      case 'digest':
        return renderDigestCard({ count: message.leads.length, leads: message.leads, locale });
      case 'text':
        return renderMessageCard({ locale, text: message.text, tone: 'warning' });
      case 'syncHealth':
        return renderSyncHealthCard(message.health, locale);
      case 'overruled':
        return renderOverruledCard(message.lead, message.action, { locale });
      case 'insights':
        return renderInsightsCard(message.insights, { locale });
      case 'needsAnswer':
        return renderNeedsAnswerCard({ rows: message.leads, locale, now });
    }
  })();
  return { type: 'message', attachments: [CardFactory.adaptiveCard(card.content)] };
}

/** A message in one line (an activity feed's preview): what its card's headline says. */
export function previewText(message: OutboundMessage, language: string | undefined): string {
  const locale = resolveLocale(language);
  switch (message.kind) {
    case 'reminder':
      return reminderHeadline(message.lead, message.hours * 3_600_000, locale);
    case 'expiredNotice':
      return reminderHeadline(message.lead, 0, locale);
    case 'assigned':
      return assignedHeadline(message.lead, locale);
    case 'overruled':
      return t(locale, 'overruled.title');
    case 'text':
      return message.text;
    default:
      return message.kind;
  }
}
