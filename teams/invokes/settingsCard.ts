/** The `settings` card of a conversation, and saving it (partner admins; in a personal chat, also its owner). */
import { renderSettingsCard, t, type CardAttachment } from '../../cards';
import { conversationSettingsSchema, type Conversation } from '../../services/useCases/conversations';
import { settingsFormSchema } from '../activityParsers';
import { logRefusal } from './access';
import type { CardDeps } from './cardViews';
import type { Clicker } from './clicker';

type Deps = Pick<CardDeps, 'product' | 'log'>;

/** The conversation as stored (saved now, without new-lead cards, if the bot never recorded its install: asking for settings subscribes nothing). */
const conversationOf = (clicker: Clicker, deps: Deps): Promise<Conversation> => deps.product.conversations.stored(clicker.where);

const mayChange = (conversation: Conversation, clicker: Clicker) =>
  clicker.role === 'partnerAdmin' || (conversation.scope === 'personal' && conversation.userId !== undefined && conversation.userId === clicker.actor.id);

export async function settingsCard(clicker: Clicker, deps: Deps): Promise<CardAttachment> {
  const conversation = await conversationOf(clicker, deps);
  return renderSettingsCard({ values: conversation.settings, locale: clicker.locale, canChange: mayChange(conversation, clicker), personal: conversation.scope === 'personal' });
}

/** Saves what the card's form sent; the card again, with what was saved or what is wrong. */
export async function saveSettings(data: Record<string, unknown>, clicker: Clicker, deps: Deps): Promise<CardAttachment> {
  const { locale } = clicker;
  const conversation = await conversationOf(clicker, deps);
  if (!mayChange(conversation, clicker)) {
    logRefusal(clicker, deps, 'settings.save', 'admin');
    return renderSettingsCard({ values: conversation.settings, locale, canChange: false, personal: conversation.scope === 'personal', notice: { text: t(locale, 'settings.forbidden'), tone: 'warning' } });
  }
  const form = settingsFormSchema.safeParse(data);
  if (!form.success) {
    const paths = new Set(form.error.issues.map((issue) => String(issue.path[0])));
    return renderSettingsCard({
      values: conversation.settings,
      locale,
      canChange: true,
      personal: conversation.scope === 'personal',
      errors: {
        ...(paths.has('leadKinds') ? { leadKinds: t(locale, 'settings.badKinds') } : {}),
        ...(paths.has('language') ? { language: t(locale, 'settings.chooseLanguage') } : {}),
      },
    });
  }
  // What the form showed: saved only over those settings, so two people saving at once never silently undo each other.
  const shown = conversationSettingsSchema.safeParse(data.shown);
  const base = shown.success ? shown.data : conversation.settings;
  const given = Object.fromEntries(Object.entries(form.data).filter(([, value]) => value !== undefined));
  const settings = conversationSettingsSchema.parse({ ...base, ...given });
  const saved = await deps.product.conversations.saveSettings(conversation.key, settings, base);
  if (saved.outcome === 'changed') {
    return renderSettingsCard({ values: saved.current, locale, canChange: true, personal: conversation.scope === 'personal', notice: { text: t(locale, 'settings.changedMeanwhile'), tone: 'warning' } });
  }
  return renderSettingsCard({ values: settings, locale, canChange: true, personal: conversation.scope === 'personal', notice: { text: t(locale, 'settings.saved'), tone: 'good' } });
}
