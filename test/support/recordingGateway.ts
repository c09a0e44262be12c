/** A recording TeamsGateway: what services/ asked to send, when (by the test clock), and where. */
import type { Conversation } from '../../services/storage/conversationStore';
import { SendFailure, type OutboundMessage, type TeamsGateway } from '../../services/delivery/teamsGateway';

export interface Recorded {
  op: 'post' | 'update';
  conversationId: string;
  activityId: string;
  message: OutboundMessage;
  at: number;
}

export class RecordingGateway implements TeamsGateway {
  readonly sent: Recorded[] = [];
  private readonly failures: SendFailure[] = [];
  private counter = 0;

  constructor(private readonly now: () => Date) {}

  failNext(...failures: SendFailure[]): void {
    this.failures.push(...failures);
  }

  async post(conversation: Conversation, message: OutboundMessage): Promise<string> {
    this.maybeFail();
    const activityId = `a${++this.counter}`;
    this.sent.push({ op: 'post', conversationId: conversation.conversationId, activityId, message, at: this.now().getTime() });
    return activityId;
  }

  async update(conversation: Conversation, activityId: string, message: OutboundMessage): Promise<void> {
    this.maybeFail();
    this.sent.push({ op: 'update', conversationId: conversation.conversationId, activityId, message, at: this.now().getTime() });
  }

  of(kind: OutboundMessage['kind'], op?: 'post' | 'update'): Recorded[] {
    return this.sent.filter((s) => s.message.kind === kind && (!op || s.op === op));
  }

  private maybeFail(): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
}
