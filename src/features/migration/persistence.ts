// Where migration journals live on this device: IndexedDB through idb-keyval, one entry per migration, keyed by
// the old account (one migration at a time per account). Only this and the journal's shape touch storage.
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { isJournal, type MigrationJournal } from './journal';

export interface JournalStore {
  load(sourceUserId: string): Promise<MigrationJournal | undefined>;
  save(journal: MigrationJournal): Promise<void>;
  remove(sourceUserId: string): Promise<void>;
}

let idbStore: UseStore | undefined;
const journals = () => (idbStore ??= createStore('wayfarer-migration', 'journals'));

export const indexedDbJournalStore: JournalStore = {
  async load(sourceUserId) {
    const value = await get(sourceUserId, journals());
    return isJournal(value) ? value : undefined;
  },
  save: (journal) => set(journal.source.userId, journal, journals()),
  remove: (sourceUserId) => del(sourceUserId, journals()),
};

/** A Map-backed store for tests and the benchmark; `structuredClone` keeps it honest about what survives a save. */
export function memoryJournalStore(): JournalStore & { saves: number } {
  const entries = new Map<string, MigrationJournal>();
  const store = {
    saves: 0,
    load: async (id: string) => (entries.has(id) ? structuredClone(entries.get(id)) : undefined),
    save: async (journal: MigrationJournal) => {
      store.saves += 1;
      entries.set(journal.source.userId, structuredClone(journal));
    },
    remove: async (id: string) => void entries.delete(id),
  };
  return store;
}
