/** What we keep of a conversation to message it later: the reference, its scope, its locale. */
import { TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import type { ConversationScope, Where } from '../services/useCases/conversations';

export function scopeOf(activity: Activity): ConversationScope {
  const type = activity.conversation?.conversationType;
  if (type === 'channel') return 'channel';
  if (type === 'groupChat') return 'groupChat';
  return 'personal';
}

export function tenantOf(activity: Activity): string | undefined {
  return (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? activity.conversation?.tenantId;
}

/** A channel's reference points at the channel itself, so new posts start new threads there. */
export function conversationFrom(activity: Activity): Where {
  const reference = TurnContext.getConversationReference(activity) as ConversationReference;
  const scope = scopeOf(activity);
  const conversationId = scope === 'channel' ? activity.conversation.id.split(';messageid=')[0] ?? activity.conversation.id : activity.conversation.id;
  return {
    conversationId,
    scope,
    tenantId: tenantOf(activity),
    userId: scope === 'personal' ? activity.from?.aadObjectId?.toLowerCase() : undefined,
    teamId: scope === 'channel' ? teamOf(activity) : undefined,
    teamGroupId: scope === 'channel' ? (activity.channelData as { team?: { aadGroupId?: string } } | undefined)?.team?.aadGroupId : undefined,
    installed: true,
    locale: activity.locale,
    reference: { ...reference, conversation: { ...reference.conversation, id: conversationId } },
  };
}

/** The team a channel belongs to (Teams says so in channel activities' channelData). */
export function teamOf(activity: Activity): string | undefined {
  return (activity.channelData as { team?: { id?: string } } | undefined)?.team?.id;
}

/** Another channel of the same team, reached like this one: new posts start new threads there. */
export function inChannel(where: Where, channelId: string): Where {
  const reference = where.reference as ConversationReference;
  const { activityId: _thread, ...rest } = reference;
  return { ...where, conversationId: channelId, reference: { ...rest, conversation: { ...reference.conversation, id: channelId } } };
}
