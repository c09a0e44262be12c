/** The card a new conversation gets, and the help card: what the bot does, its commands and roles. */
import { cardTemplate, type CardAttachment } from './cardTemplate';
import { t, type Locale, type StringKey } from './locale';
import welcomeJson from './templates/welcome.json';

interface WelcomeView {
  title: string;
  intro: string;
  warning: string | null;
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
  ['grant ‹aadObjectId› ‹role›', 'command.grant'],
  ['revoke ‹aadObjectId›', 'command.revoke'],
];

const render = cardTemplate<WelcomeView>(welcomeJson);

export function renderWelcomeCard({ locale, adminsConfigured }: { locale: Locale; adminsConfigured: boolean }): CardAttachment {
  return renderGuide(locale, 'welcome.title', adminsConfigured);
}

/** The answer to `help` (and to anything the bot does not understand); warns too while no admin is set. */
export function renderHelpCard(locale: Locale, adminsConfigured = true): CardAttachment {
  return renderGuide(locale, 'welcome.helpTitle', adminsConfigured);
}

function renderGuide(locale: Locale, title: StringKey, adminsConfigured: boolean): CardAttachment {
  return render({
    title: t(locale, title),
    intro: t(locale, 'welcome.intro'),
    warning: adminsConfigured ? null : t(locale, 'welcome.noAdmins'),
    commandsHeading: t(locale, 'welcome.commandsHeading'),
    commands: COMMANDS.map(([command, description]) => ({ command, description: t(locale, description) })),
    rolesHeading: t(locale, 'welcome.rolesHeading'),
    roles: t(locale, 'welcome.roles'),
  });
}
