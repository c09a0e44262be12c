/** Renders what services/ asks to send (an OutboundMessage) as a Teams activity. */
import { CardFactory, type Activity } from 'botbuilder';
import { renderDigestCard, renderFlameAlertCard, renderLeadCard, renderMessageCard, renderReminderCard, resolveLocale, t } from '../cards/index';
import type { Conversation } from '../services/storage/conversationStore';
import type { OutboundMessage } from '../services/delivery/teamsGateway';
import { refreshUserIds } from './cardActions';

export interface RenderSettings {
  now: () => Date;
  flameWindowHours: number;
  responseDays: number;
}

export function outboundActivity(message: OutboundMessage, conversation: Conversation, settings: RenderSettings): Partial<Activity> {
  const locale = resolveLocale(conversation.locale);
  const now = settings.now();
  const card = (() => {
    switch (message.kind) {
      case 'leadCard':
        // The shared card: everyone sees ♡; favoriters' clients refresh to their own ♥ view.
        return renderLeadCard(message.lead, { locale, now, flameWindowHours: settings.flameWindowHours, refreshUserIds: refreshUserIds(message.lead) });
      case 'reminder':
        return renderReminderCard(message.lead, { locale, now });
      case 'flameAlert':
        return renderFlameAlertCard(message.lead, { locale });
      case 'expiredNotice':
        return renderMessageCard({
          locale,
          title: message.lead.name,
          text: t(locale, 'notice.expired', { days: settings.responseDays }),
          tone: 'warning',
        });
      case 'digest':
        return renderDigestCard({ count: message.leads.length, leads: message.leads, locale });
      case 'text':
        return renderMessageCard({ locale, text: message.text, tone: 'warning' });
    }
  })();
  return { type: 'message', attachments: [CardFactory.adaptiveCard(card.content)] };
}
