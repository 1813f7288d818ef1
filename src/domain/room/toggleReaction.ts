// Sends or takes back a reaction with local echo: the SDK shows a reaction (or its removal) at once; when the
// server refuses, the echo is cancelled, which puts the pills back as they were, and the reader is told.
import { EventType, RelationType, type MatrixClient, type Room } from 'matrix-js-sdk';
import { describeMatrixError } from '../../matrix/errors';
import { t } from '../../i18n';
import { chatStore } from '../../state/chatStore';
import { findSdkEvent } from './fromSdk';
import { ownReaction, type ReactionGroup } from './reactions';

function cancelEcho(client: MatrixClient, room: Room, txnId: string): void {
  const echo = room.getPendingEvents().find((e) => e.getTxnId() === txnId) ?? findSdkEvent(room, txnId);
  if (echo && echo.status !== null) client.cancelPendingEvent(echo);
}

export async function toggleReaction(
  client: MatrixClient,
  room: Room,
  target: string,
  groups: readonly ReactionGroup[],
  key: string,
  myIdentity: string,
): Promise<void> {
  const group = groups.find((g) => g.key === key);
  const mine = group && ownReaction(group, myIdentity);
  const txnId = client.makeTxnId();
  if (mine) {
    if (mine.status !== 'sent') return; // still on its way: nothing to redact yet
    try {
      await client.redactEvent(room.roomId, mine.eventId, txnId);
    } catch (err) {
      cancelEcho(client, room, txnId);
      chatStore.getState().showNotice(describeMatrixError(err, t('chat.reactions.removeFailed', { key })));
    }
    return;
  }
  try {
    await client.sendEvent(
      room.roomId,
      EventType.Reaction,
      { 'm.relates_to': { rel_type: RelationType.Annotation, event_id: target, key } },
      txnId,
    );
  } catch (err) {
    cancelEcho(client, room, txnId);
    chatStore.getState().showNotice(describeMatrixError(err, t('chat.reactions.addFailed', { key })));
  }
}
