/**
 * Whether the bot's Microsoft Graph reach works, as this instance last saw it: the activity feed,
 * and installing the app for people. A refusal (a permission not consented, a policy) is logged
 * once with what is missing, shown on the `sync` card, and cleared by the next success.
 */
import type { Logger } from '../../logger';

export type ReachFeature = 'activityFeed' | 'proactiveInstall';

export interface ReachState {
  state: 'on' | 'off' | 'refused';
  /** While refused: what Graph said, and what to grant; while off: why. */
  reason?: string;
  since?: string;
}

export type ReachStatus = Record<ReachFeature, ReachState>;

/** What to grant, in words, for each feature. */
const NEEDS: Record<ReachFeature, string> = {
  activityFeed: "the bot's app registration needs TeamsActivity.Send (application, admin consent), or the app package's resource-specific TeamsActivity.Send.User, consented when the app is installed",
  proactiveInstall: "the bot's app registration needs TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All and AppCatalog.Read.All (application, admin consent), and the app must be in the organization's app catalog",
};

export class ReachMonitor {
  private readonly states: ReachStatus;
  /** Features Graph allowed at least once since the start: a later refusal for one person is not the tenant's. */
  private readonly everWorked = new Set<ReachFeature>();
  private readonly toldPeople = new Set<string>();

  /** `true` for a feature that is on, else why it is off. */
  constructor(
    enabled: Record<ReachFeature, true | string>,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {
    const initial = (value: true | string): ReachState => (value === true ? { state: 'on' } : { state: 'off', reason: value });
    this.states = { activityFeed: initial(enabled.activityFeed), proactiveInstall: initial(enabled.proactiveInstall) };
  }

  enabled(feature: ReachFeature): boolean {
    return this.states[feature].state !== 'off';
  }

  /** Graph refused: logged once per spell, with what is missing. */
  refused(feature: ReachFeature, said: string): void {
    const current = this.states[feature];
    if (current.state === 'off') return;
    if (current.state !== 'refused') this.log.warn({ feature, said, needs: NEEDS[feature] }, 'Microsoft Graph refused the bot: falling back to chat messages and @mentions until it is allowed');
    this.states[feature] = { state: 'refused', reason: `${said.slice(0, 300)} — ${NEEDS[feature]}`, since: current.since ?? this.now().toISOString() };
  }

  /**
   * Graph refused one person (a permission consented only where the app is installed for them):
   * the tenant's refusal only while nobody was reached yet; otherwise that person's, logged once each.
   */
  refusedFor(feature: ReachFeature, person: string, said: string): void {
    if (!this.everWorked.has(feature)) return this.refused(feature, said);
    if (this.toldPeople.has(person) || this.toldPeople.size >= 1_000) return;
    this.toldPeople.add(person);
    this.log.info({ feature, person, said: said.slice(0, 300) }, 'Microsoft Graph would not reach this person (the app is not installed for them with its permission): they are told in a chat instead');
  }

  worked(feature: ReachFeature): void {
    this.everWorked.add(feature);
    const current = this.states[feature];
    if (current.state !== 'refused') return;
    this.log.info({ feature }, 'Microsoft Graph allows the bot again');
    this.states[feature] = { state: 'on' };
  }

  status(): ReachStatus {
    return { activityFeed: { ...this.states.activityFeed }, proactiveInstall: { ...this.states.proactiveInstall } };
  }
}
