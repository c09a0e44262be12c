/**
 * The card a new conversation gets, and the help card: what the bot does, its commands and roles.
 * A team's welcome asks a lead admin which channel gets new leads (and which kinds); a group chat's
 * offers "Send new leads here"; a personal chat's says what comes there. No install subscribes.
 */
import type { LeadKind } from '../services/leads/lead';
import { cardTemplate, executeAction, type ActionView, type CardAttachment } from './cardTemplate';
import { t, type Locale, type StringKey } from './locale';
import welcomeJson from './templates/welcome.json';

interface WelcomeView {
  title: string;
  intro: string;
  warning: string | null;
  setup: string | null;
  channelLabel: string;
  channels: { id: string; name: string }[] | null;
  channel: string | null;
  kindsLabel: string;
  kindsRequired: string;
  kinds: { id: LeadKind; title: string }[];
  actions: ActionView[];
  commandsHeading: string;
  commands: { command: string; description: string }[];
  rolesHeading: string;
  roles: string;
}

// Typed commands are not translated. ‹…› marks what to fill in: Teams may strip text in <…>.
const COMMANDS: [syntax: string, description: StringKey][] = [
  ['help', 'command.help'],
  ['my leads', 'command.mine'],
  ['unassigned', 'command.unassigned'],
  ['marketplace', 'command.marketplace'],
  ['qualified', 'command.qualified'],
  ['favorites', 'command.favorites'],
  ['archived', 'command.archived'],
  ['find ‹words›', 'command.find'],
  ['lead ‹id›', 'command.lead'],
  ['insights ‹7d|30d|90d›', 'command.insights'],
  ['settings', 'command.settings'],
  ['notify me ‹marketplace|qualified|all|off›', 'command.notify'],
  ['subscribe', 'command.subscribe'],
  ['unsubscribe', 'command.unsubscribe'],
  ['roles', 'command.roles'],
  ['sync', 'command.sync'],
  ['retry ‹lead id›', 'command.retry'],
  ['grant', 'command.grant'],
  ['revoke ‹aadObjectId›', 'command.revoke'],
];

/** The verbs of the welcome's choice. */
export const WELCOME_VERBS = { channel: 'welcome.channel', here: 'welcome.here' } as const;

/** Where the welcome stands: what it offers to choose, or what was chosen. */
export type WelcomeSetup =
  /** A team: which of its channels gets new leads (`current`: the one the app was added in). */
  | { kind: 'team'; channels: { id: string; name: string }[]; current: string }
  /** A group chat: "Send new leads here". */
  | { kind: 'chat' }
  /** A personal chat: what comes there (`streamed`: the team's new leads too, a partner admin's choice). */
  | { kind: 'personal'; streamed: boolean }
  /** The choice was made: what it was. */
  | { kind: 'chosen'; text: string };

export interface WelcomeOptions {
  locale: Locale;
  adminsConfigured: boolean;
  /** Leads are readable by everyone (LEADS_VISIBLE_TO=everyone), not only by roles. */
  everyone?: boolean;
  setup?: WelcomeSetup;
}

const render = cardTemplate<WelcomeView>(welcomeJson);

export function renderWelcomeCard(options: WelcomeOptions): CardAttachment {
  return renderGuide('welcome.title', options);
}

/** The answer to `help` (and to anything the bot does not understand); warns too while no admin is set. */
export function renderHelpCard(locale: Locale, adminsConfigured = true, everyone = false): CardAttachment {
  return renderGuide('welcome.helpTitle', { locale, adminsConfigured, everyone });
}

function renderGuide(title: StringKey, { locale, adminsConfigured, everyone, setup }: WelcomeOptions): CardAttachment {
  const choosing = setup?.kind === 'team' || setup?.kind === 'chat';
  return render({
    title: t(locale, title),
    intro: t(locale, 'welcome.intro'),
    warning: adminsConfigured ? null : t(locale, 'welcome.noAdmins'),
    setup: setup ? setupText(setup, locale) : null,
    channelLabel: t(locale, 'welcome.channelLabel'),
    channels: setup?.kind === 'team' ? setup.channels : null,
    channel: setup?.kind === 'team' ? setup.current : null,
    kindsLabel: t(locale, 'welcome.kindsLabel'),
    kindsRequired: t(locale, 'welcome.noKinds'),
    kinds: (['marketplace', 'qualified'] as const).map((id) => ({ id, title: t(locale, `welcome.kind.${id}`) })),
    actions: choosing ? [executeAction(t(locale, setup.kind === 'team' ? 'welcome.sendThere' : 'welcome.sendHere'), setup.kind === 'team' ? WELCOME_VERBS.channel : WELCOME_VERBS.here, {}, { style: 'positive' })] : [],
    commandsHeading: t(locale, 'welcome.commandsHeading'),
    commands: COMMANDS.map(([command, description]) => ({ command, description: t(locale, description) })),
    rolesHeading: t(locale, 'welcome.rolesHeading'),
    roles: t(locale, everyone ? 'welcome.rolesEveryone' : 'welcome.roles'),
  });
}

function setupText(setup: WelcomeSetup, locale: Locale): string {
  switch (setup.kind) {
    case 'team':
      return t(locale, 'welcome.teamSetup');
    case 'chat':
      return t(locale, 'welcome.chatSetup');
    case 'personal':
      return t(locale, setup.streamed ? 'welcome.personalStreamed' : 'welcome.personal');
    case 'chosen':
      return setup.text;
  }
}
