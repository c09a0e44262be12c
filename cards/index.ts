/** The cards the bot sends: one render function per card, each returning an Adaptive Card attachment. */
export { ADAPTIVE_CARD_CONTENT_TYPE, type AdaptiveCard, type CardAttachment } from './cardTemplate';
export { renderLeadCard, type LeadCardMode, type LeadCardOptions } from './leadCard';
export { CURRENCIES, FORM_INPUT_BY_ISSUE_PATH, FORM_MODES, FORMS, type FormContext, type FormInputId, type FormMode, type FormState } from './leadForm';
export { renderLeadList, renderMyLeads, renderNeedsAnswerCard, renderSearchList, renderRestrictedPreview, renderSearchPreview, THUMBNAIL_CARD_CONTENT_TYPE, type LeadListOptions } from './leadList';
export { renderHelpCard, renderWelcomeCard, WELCOME_VERBS, type WelcomeSetup } from './welcome';
export { assignedHeadline, reminderHeadline, renderAssignedCard, renderDigestCard, renderFlameAlertCard, renderMessageCard, renderReminderCard, renderRestrictedCard, renderSnoozedCard, SNOOZE_CHOICES, type SnoozeChoice } from './alerts';
export { renderRolesCard, type RoleCardEntry } from './roles';
export { renderInsightsCard } from './insights';
export { renderSettingsCard, type SettingsValues } from './settings';
export { renderOverruledCard, renderSyncHealthCard, renderSyncStatusCard, type SyncStatusView } from './syncCards';
export {
  formatAmount,
  formatCalendarDate,
  formatDateTime,
  formatDay,
  formatDuration,
  formatTimeLeft,
  resolveLocale,
  t,
  tn,
  type Locale,
  type StringKey,
  type Zoned,
} from './locale';
