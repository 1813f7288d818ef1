// Where migration journals live on this device: IndexedDB through idb-keyval, one entry per migration, keyed by
// the old account (one migration at a time per account). Only this and the journal's shape touch storage.
import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import { readJournal, type MigrationJournal } from './journal';

export interface JournalStore {
  /** The account's journal, or undefined when none is stored; rejects with UnreadableJournalError when one is stored that this version can't read. */
  load(sourceUserId: string): Promise<MigrationJournal | undefined>;
  save(journal: MigrationJournal): Promise<void>;
  remove(sourceUserId: string): Promise<void>;
  /**
   * Every readable journal on this device (ones this version can't read are left out: they block only their own
   * account's wizard). The new account's session finds here a move whose last step still waits for the old server.
   */
  list(): Promise<MigrationJournal[]>;
}

function readable(stored: unknown): MigrationJournal[] {
  try {
    const journal = readJournal(stored);
    return journal ? [journal] : [];
  } catch {
    return [];
  }
}

let idbStore: UseStore | undefined;
const journals = () => (idbStore ??= createStore('wayfarer-migration', 'journals'));

export const indexedDbJournalStore: JournalStore = {
  load: async (sourceUserId) => readJournal(await get(sourceUserId, journals())),
  save: (journal) => set(journal.source.userId, journal, journals()),
  remove: (sourceUserId) => del(sourceUserId, journals()),
  list: async () => (await values(journals())).flatMap(readable),
};

export interface MemoryJournalStore extends JournalStore {
  saves: number;
  /** Stores any value as the account's entry, as a newer version or a damaged disk might leave it. */
  put(sourceUserId: string, stored: unknown): void;
  /** A second store over the same entries: what a new page sees of the same IndexedDB after a crash. */
  reopen(): MemoryJournalStore;
}

/** A Map-backed store for tests and the benchmark; `structuredClone` keeps it honest about what survives a save. */
export function memoryJournalStore(entries = new Map<string, unknown>()): MemoryJournalStore {
  const store: MemoryJournalStore = {
    saves: 0,
    load: async (id) => readJournal(structuredClone(entries.get(id))),
    save: async (journal) => {
      store.saves += 1;
      entries.set(journal.source.userId, structuredClone(journal));
    },
    remove: async (id) => void entries.delete(id),
    list: async () => [...entries.values()].flatMap((stored) => readable(structuredClone(stored))),
    put: (id, stored) => void entries.set(id, structuredClone(stored)),
    reopen: () => memoryJournalStore(entries),
  };
  return store;
}
