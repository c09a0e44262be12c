/** Every card verb the bot answers, each registered with its handler: the one place to find what a button does. */
import { cardResponse, CardVerbs } from './cardVerbs';
import { FORM_VERBS, SUBMIT_VERBS } from './formCommands';
import { openForm, showLead, snooze, submit } from './leadVerbs';
import { listPage, searchPage, showInsights } from './listVerbs';
import { grantRole, revokeRole, showRoles, stopStream } from './roleVerbs';
import { saveSettings } from './settingsCard';
import { chooseChannel, sendHere } from './welcomeVerbs';
import { WELCOME_VERBS } from '../../cards';

export const cardVerbs = new CardVerbs()
  .on(['refresh', 'lead.open'], showLead)
  .on(FORM_VERBS.keys(), openForm)
  .on(SUBMIT_VERBS.keys(), submit)
  .on('lead.snooze', snooze)
  .on('list.page', listPage)
  .on('search.page', searchPage)
  .on('insights.show', showInsights)
  .on('settings.save', async (data, clicker, deps) => cardResponse(await saveSettings(data, clicker, deps)))
  .on(WELCOME_VERBS.channel, chooseChannel)
  .on(WELCOME_VERBS.here, sendHere)
  .on(['roles.show', 'roles.add'], showRoles)
  .on('roles.grant', grantRole)
  .on('roles.revoke', revokeRole)
  .on('roles.stream', stopStream);

export { cardResponse, errorResponse, messageResponse, type InvokeResponseBody } from './cardVerbs';
