/**
 * Tells whoever sent a lead (Microsoft or the referring partner) that it expired unanswered.
 * The Partner Center sync will implement this port; until then the recording one keeps a log.
 */
import type { Lead } from '../leads/lead';
import type { Logger } from '../logger';

export interface SenderNotifier {
  leadExpired(lead: Lead): Promise<void>;
}

export class RecordingSenderNotifier implements SenderNotifier {
  readonly expired: Array<{ leadId: string; engagementId?: string; at: string }> = [];

  constructor(private readonly log?: Logger) {}

  async leadExpired(lead: Lead): Promise<void> {
    this.expired.push({ leadId: lead.id, engagementId: lead.partnerCenter.engagementId, at: new Date().toISOString() });
    this.log?.info({ leadId: lead.id }, 'sender notified: lead expired unanswered');
  }
}
