/** What a proactive message looks like in a conversation: in the language its settings choose. */
import { outboundActivity } from '../../teams/outboundActivity';
import { defaultSettings, type Conversation } from '../../services/storage/conversationStore';
import { receivedLead } from '../fixtures/leads';
import { seen } from '../cards/seen';

const settings = { now: () => new Date('2026-11-20T10:00:00Z'), flameWindowHours: 72, responseDays: 14, partnerCenterSync: false };
const channel = (language: 'auto' | 'en' | 'de', locale?: string): Conversation => ({
  key: 'k',
  conversationId: '19:sales@thread.tacv2',
  scope: 'channel',
  subscribed: true,
  installed: true,
  locale,
  settings: { ...defaultSettings('channel'), language },
  reference: {},
});

const text = (activity: ReturnType<typeof outboundActivity>) => seen(activity.attachments![0] as never).all;

describe('the language of proactive messages', () => {
  it('follows the conversation when set to automatic, and the setting when one is chosen', () => {
    const message = { kind: 'leadCard' as const, lead: receivedLead() };
    expect(text(outboundActivity(message, channel('auto', 'de-DE'), settings))).toContain('Antworten bis');
    expect(text(outboundActivity(message, channel('auto', 'en-US'), settings))).toContain('Respond by');
    expect(text(outboundActivity(message, channel('de', 'en-US'), settings))).toContain('Antworten bis');
    expect(text(outboundActivity(message, channel('en', 'de-DE'), settings))).toContain('Respond by');
  });
});
