// Read receipts (m.read, m.read.private, m.fully_read lives in account data).
import type { Db, StreamCounter } from './database';

export interface ReceiptRow {
  room_id: string;
  user_id: string;
  receipt_type: string;
  thread_id: string;
  event_id: string;
  ts: number;
  stream_id: number;
}

export class ReceiptStore {
  private readonly s;
  constructor(
    db: Db,
    private readonly stream: StreamCounter,
  ) {
    this.s = {
      put: db.prepare(
        `INSERT INTO receipts (room_id, user_id, receipt_type, thread_id, event_id, ts, stream_id) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts, stream_id = excluded.stream_id`,
      ),
      since: db.prepare(
        'SELECT room_id, user_id, receipt_type, thread_id, event_id, ts, stream_id FROM receipts WHERE room_id = ? AND stream_id > ?',
      ),
    };
  }

  put(roomId: string, userId: string, receiptType: string, threadId: string, eventId: string): number {
    const streamId = this.stream.next();
    this.s.put.run(roomId, userId, receiptType, threadId, eventId, Date.now(), streamId);
    return streamId;
  }

  since(roomId: string, since: number): ReceiptRow[] {
    return this.s.since.all(roomId, since) as ReceiptRow[];
  }
}
