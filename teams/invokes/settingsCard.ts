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
  clicker.access.admin || (conversation.scope === 'personal' && conversation.userId !== undefined && conversation.userId === clicker.actor.id);

type CardOptions = Omit<Parameters<typeof renderSettingsCard>[0], 'locale' | 'personal'>;

/** The card for this conversation, in the clicker's language. */
const cardFor = (conversation: Conversation, clicker: Clicker, options: CardOptions): CardAttachment =>
  renderSettingsCard({ ...options, locale: clicker.locale, personal: conversation.scope === 'personal' });

export async function settingsCard(clicker: Clicker, deps: Deps): Promise<CardAttachment> {
  const conversation = await conversationOf(clicker, deps);
  return cardFor(conversation, clicker, { values: conversation.settings, canChange: mayChange(conversation, clicker) });
}

/** Saves what the card's form sent; the card again, with what was saved or what is wrong. */
export async function saveSettings(data: Record<string, unknown>, clicker: Clicker, deps: Deps): Promise<CardAttachment> {
  const { locale } = clicker;
  const conversation = await conversationOf(clicker, deps);
  if (!mayChange(conversation, clicker)) {
    logRefusal(clicker, deps, 'settings.save', 'admin');
    return cardFor(conversation, clicker, { values: conversation.settings, canChange: false, notice: { text: t(locale, 'settings.forbidden'), tone: 'warning' } });
  }
  const form = settingsFormSchema.safeParse(data);
  if (!form.success) {
    const paths = new Set(form.error.issues.map((issue) => String(issue.path[0])));
    return cardFor(conversation, clicker, {
      values: conversation.settings,
      canChange: true,
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
    return cardFor(conversation, clicker, { values: saved.current, canChange: true, notice: { text: t(locale, 'settings.changedMeanwhile'), tone: 'warning' } });
  }
  return cardFor(conversation, clicker, { values: settings, canChange: true, notice: { text: t(locale, 'settings.saved'), tone: 'good' } });
}
