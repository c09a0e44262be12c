/** A conversation's settings: what the bot posts there (new-lead kinds, 🔥 alerts, reminders, the digest, insights) and in which language. */
import { cardTemplate, executeAction, type ActionView, type CardAttachment } from './cardTemplate';
import { t, type Locale, type StringKey } from './locale';
import settingsJson from './templates/settings.json';

export interface SettingsValues {
  leadKinds: ('marketplace' | 'qualified')[];
  flameAlerts: boolean;
  reminders: boolean;
  digest: boolean;
  insights: boolean;
  language: 'auto' | 'en' | 'de';
  activityFeed: boolean;
}

type Toggle = 'flameAlerts' | 'reminders' | 'digest' | 'insights' | 'activityFeed';
const TOGGLES: Toggle[] = ['flameAlerts', 'reminders', 'digest', 'insights'];
/** A person's own chat also chooses whether their own events go to their activity feed. */
const PERSONAL_TOGGLES: Toggle[] = [...TOGGLES, 'activityFeed'];
const LANGUAGES = ['auto', 'en', 'de'] as const;

interface SettingsView {
  title: string;
  intro: string;
  notice: { text: string; style: string } | null;
  form: {
    leadKinds: { label: string; value: string; choices: { title: string; value: string }[]; error: string | null };
    toggles: { id: Toggle; label: string; title: string; value: string }[];
    language: { label: string; value: string; errorMessage: string; choices: { title: string; value: string }[] };
  } | null;
  facts: { title: string; value: string }[];
  note: string | null;
  actions: ActionView[];
}

const render = cardTemplate<SettingsView>(settingsJson);

export function renderSettingsCard(options: {
  values: SettingsValues;
  locale: Locale;
  /** A partner admin, or the person whose personal chat this is. */
  canChange: boolean;
  /** A personal chat: its person's own settings (the activity feed among them). */
  personal?: boolean;
  notice?: { text: string; tone: 'good' | 'warning' };
  errors?: Partial<Record<'leadKinds' | 'language', string>>;
}): CardAttachment {
  const { values, locale } = options;
  const on = (value: boolean) => t(locale, value ? 'settings.on' : 'settings.off');
  const kinds = (['marketplace', 'qualified'] as const).map((kind) => ({ title: t(locale, `settings.kind.${kind}`), value: kind }));
  const languages = LANGUAGES.map((value) => ({ title: t(locale, `settings.language.${value}`), value }));
  const toggles = options.personal ? PERSONAL_TOGGLES : TOGGLES;
  return render({
    title: t(locale, 'settings.title'),
    intro: t(locale, 'settings.intro'),
    notice: options.notice ? { text: options.notice.text, style: options.notice.tone === 'good' ? 'good' : 'warning' } : null,
    form: options.canChange
      ? {
          leadKinds: { label: t(locale, 'settings.leadKinds'), value: values.leadKinds.join(','), choices: kinds, error: options.errors?.leadKinds ?? null },
          toggles: toggles.map((id) => ({ id, label: t(locale, `settings.${id}.label` as StringKey), title: t(locale, `settings.${id}.title` as StringKey), value: String(values[id]) })),
          language: { label: t(locale, 'settings.languageLabel'), value: values.language, errorMessage: t(locale, 'settings.chooseLanguage'), choices: languages },
        }
      : null,
    facts: options.canChange
      ? []
      : [
          { title: t(locale, 'settings.leadKinds'), value: values.leadKinds.length ? kinds.filter((k) => values.leadKinds.includes(k.value)).map((k) => k.title).join(', ') : t(locale, 'settings.none') },
          ...toggles.map((id) => ({ title: t(locale, `settings.${id}.label` as StringKey), value: on(values[id]) })),
          { title: t(locale, 'settings.languageLabel'), value: t(locale, `settings.language.${values.language}`) },
        ],
    note: options.canChange ? t(locale, 'settings.appliesNext') : t(locale, 'settings.whoMayChange'),
    // The settings as shown: a save applies only over them (someone else's save meanwhile is not undone).
    actions: options.canChange ? [executeAction(t(locale, 'settings.save'), 'settings.save', { shown: values }, { style: 'positive' })] : [],
  });
}
