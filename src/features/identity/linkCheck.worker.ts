// The link-check worker's entry (see linkCheckWorker.ts): IndexedDB through idb-keyval (many entries a transaction),
// the worker's own fetch.
import { createStore, getMany, setMany } from 'idb-keyval';
import { coalescingCache, serveLinkChecks, type WorkerReply, type WorkerRequest } from './linkCheckWorker';

const scope = self as unknown as {
  postMessage(reply: WorkerReply): void;
  addEventListener(type: 'message', listener: (event: { data: WorkerRequest }) => void): void;
  fetch: typeof fetch;
};

const serve = serveLinkChecks(
  (reply) => scope.postMessage(reply),
  scope.fetch.bind(scope),
  (db, storeName) => {
    const store = createStore(db, storeName);
    return coalescingCache({ getMany: (keys) => getMany(keys, store), setMany: (entries) => setMany(entries, store) });
  },
);
// One request at a time is not needed: each carries its id, and the verifier keeps its caches consistent.
scope.addEventListener('message', ({ data }) => void serve(data));
