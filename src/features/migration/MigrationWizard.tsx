// The migration wizard (issue 8): thin views over the plan, the journal and the runner. Everything that must
// survive a closed tab is in the journal (IndexedDB); the recovery key only ever lives in memory here.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { deriveMemberRoot } from '../../protocol';
import { loginWithPassword, registerWithPassword } from '../../matrix/auth';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { useModalDialog } from '../../ui/Dialog';
import { accountKeyId, loginWithAccountKey, proveAccountKey, registerWithAccountKey, UnknownAccountKeyError } from '../portable/accountKeyAuth';
import { portableStatus } from '../portable/portableRooms';
import { RecoveryKeyField } from '../portable/RecoveryKeyField';
import { readRecoveryKeyField } from '../portable/recoveryKeyInput';
import { createExecutor, markOldAccountMoved, memberSeedFor } from './executor';
import { createJournal, progressOf, retryItem, summaryOf, type MigrationJournal, type MigrationOptions, type TargetSession, type ItemProgress } from './journal';
import { indexedDbJournalStore, type JournalStore } from './persistence';
import { buildPlan, toggleItem, type AccountSnapshot, type MigrationPath, type PlanItem } from './plan';
import { errorText, runMigration } from './runner';
import { snapshotFromSync, syncFromSaved } from './snapshot';
import { checkTarget, choosePath, type TargetServer } from './targetCheck';

type Stage = 'loading' | 'target' | 'prove' | 'plan' | 'move';

const STAGES: { stage: Stage; title: string }[] = [
  { stage: 'target', title: 'Where to' },
  { stage: 'prove', title: 'Prove it’s you' },
  { stage: 'plan', title: 'Plan' },
  { stage: 'move', title: 'Move' },
];

/** The run under way per old account, across openings of the wizard in this page: never two at once. */
const activeRuns = new Map<string, Promise<unknown>>();

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);
const localpartOf = (userId: string) => userId.slice(1, userId.indexOf(':'));

function Card({ title, step, children }: { title: string; step: number; children: ReactNode }) {
  return (
    <section aria-labelledby="migration-stage" className="space-y-4">
      <p className="text-sm text-slate-500 dark:text-slate-400">Step {step} of 5</p>
      <h2 id="migration-stage" className="text-xl font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Problem({ text }: { text?: string }) {
  return text ? (
    <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
      {text}
    </p>
  ) : null;
}

/** Takes the old account's snapshot from matrix-js-sdk's cache (works with the old server offline). */
async function takeSnapshot(client: MatrixClient, portable: boolean): Promise<AccountSnapshot> {
  const userId = client.getSafeUserId();
  const saved = await client.store.getSavedSync();
  const user = client.getUser(userId);
  return snapshotFromSync(syncFromSaved(saved as Parameters<typeof syncFromSaved>[0]), {
    userId,
    serverName: serverOf(userId),
    baseUrl: client.baseUrl,
    portable,
    ...(user?.displayName ? { displayname: user.displayName } : {}),
    ...(user?.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
  });
}

export default function MigrationWizard({ client, onClose, store = indexedDbJournalStore }: { client: MatrixClient; onClose: () => void; store?: JournalStore }) {
  const userId = client.getSafeUserId();
  const [stage, setStage] = useState<Stage>('loading');
  const [journal, setJournal] = useState<MigrationJournal>();
  // `portable: undefined`: the old server could not be asked (offline); the recovery key and the plan decide.
  const [oldPortable, setOldPortable] = useState<{ portable: boolean | undefined; accountKey?: string }>({ portable: undefined });
  const [target, setTarget] = useState<TargetServer>();
  const [path, setPath] = useState<MigrationPath>('classic');
  const [session, setSession] = useState<TargetSession>();
  const [items, setItems] = useState<PlanItem[]>([]);
  const [snapshot, setSnapshot] = useState<AccountSnapshot>();
  const secret = useRef<Uint8Array | undefined>(undefined);
  const [, setHasSecret] = useState(false);
  const dialogRef = useModalDialog();

  useEffect(() => {
    let live = true;
    void (async () => {
      const status = await portableStatus(client).catch(() => undefined);
      if (!live) return;
      setOldPortable(status === undefined ? { portable: undefined } : status.portable ? { portable: true, accountKey: status.accountKey } : { portable: false });
      const saved = await store.load(userId).catch(() => undefined);
      if (!live) return;
      if (saved) {
        setJournal(saved);
        setStage('move');
      } else setStage('target');
    })();
    return () => {
      live = false;
    };
  }, [client, store, userId]);

  const setSecret = (value: Uint8Array) => {
    secret.current = value;
    setHasSecret(true);
  };

  return (
    // A native modal: focus stays inside the wizard, the app behind it is inert, Escape closes it like Close does.
    <dialog
      ref={dialogRef}
      onClose={onClose}
      aria-label="Move your account"
      className="fixed inset-0 m-0 h-dvh max-h-none w-full max-w-none overflow-y-auto border-0 bg-white p-0 text-slate-900 dark:bg-slate-950 dark:text-slate-100"
    >
      <div className="mx-auto max-w-2xl space-y-6 p-4 sm:p-8">
        <header className="flex items-center gap-3">
          <h1 className="flex-1 text-2xl font-bold">Move your account</h1>
          <button className={secondaryButton} onClick={onClose}>
            Close
          </button>
        </header>
        <ol aria-label="Steps" className="flex flex-wrap gap-2 text-sm">
          {[...STAGES, { stage: 'finish' as Stage, title: 'Check and finish' }].map((s, i) => (
            <li key={s.title} aria-current={s.stage === stage ? 'step' : undefined} className={`rounded-full px-3 py-1 ${s.stage === stage ? 'bg-indigo-600 text-white' : 'bg-slate-100 dark:bg-slate-800'}`}>
              {i + 1}. {s.title}
            </li>
          ))}
        </ol>
        {stage === 'loading' && <p role="status">Loading…</p>}
        {stage === 'target' && (
          <TargetStage
            sourceServer={serverOf(userId)}
            oldPortable={oldPortable.portable}
            onDone={(t, p) => {
              setTarget(t);
              setPath(p);
              setStage('prove');
            }}
          />
        )}
        {stage === 'prove' && target && (
          <ProveStage
            path={path}
            target={target}
            oldUserId={userId}
            oldAccountKey={oldPortable.accountKey}
            onBack={() => setStage('target')}
            onDone={async (s, key) => {
              if (key) setSecret(key);
              setSession(s);
              const snap = await takeSnapshot(client, oldPortable.portable ?? path === 'portable');
              const root = key ? deriveMemberRoot(key) : undefined;
              setSnapshot(snap);
              setItems(buildPlan({ snapshot: snap, path, targetUserId: s.userId, ...(root ? { keyIsDerivable: (room) => memberSeedFor(root, room) !== undefined } : {}) }));
              setStage('plan');
            }}
          />
        )}
        {stage === 'plan' && session && snapshot && (
          <PlanStage
            path={path}
            items={items}
            onToggle={(id, on) => setItems((current) => toggleItem(current, id, on))}
            onStart={async (options) => {
              const created = createJournal({
                id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
                path,
                source: { userId, serverName: serverOf(userId), baseUrl: client.baseUrl },
                target: session,
                options,
                snapshot,
                items,
              });
              // Written before anything runs: from here on a closed tab resumes.
              await store.save(created);
              setJournal(created);
              setStage('move');
            }}
          />
        )}
        {stage === 'move' && journal && (
          <MoveStage
            client={client}
            journal={journal}
            store={store}
            secret={secret}
            onSecret={setSecret}
            oldAccountKey={oldPortable.accountKey}
            onJournal={setJournal}
            onDiscard={async () => {
              await store.remove(userId);
              onClose();
            }}
          />
        )}
      </div>
    </dialog>
  );
}

function TargetStage({ sourceServer, oldPortable, onDone }: { sourceServer: string; oldPortable: boolean | undefined; onDone: (target: TargetServer, path: MigrationPath) => void }) {
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [checked, setChecked] = useState<TargetServer>();
  const choice = checked ? choosePath(oldPortable, checked) : undefined;
  async function check(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setChecked(undefined);
    try {
      setChecked(await checkTarget(input, sourceServer));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title="Where to" step={1}>
      <p>Choose the homeserver your account moves to. You are on {sourceServer}.</p>
      <form onSubmit={check} className="space-y-3">
        <label className="block space-y-1">
          <span className="text-sm">New homeserver</span>
          <input className={inputClass} value={input} autoFocus placeholder="beta.example.org" onChange={(e) => setInput(e.target.value)} />
        </label>
        <button className={primaryButton} disabled={busy}>
          {busy ? 'Checking…' : 'Check server'}
        </button>
      </form>
      <Problem text={error} />
      {checked && choice && (
        <div className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700" role="status">
          <p className="font-medium">✓ {checked.serverName} is reachable{checked.supportsPortable ? ' and supports portable identities' : ''}.</p>
          <p className="text-sm">{choice.explanation}</p>
          <button className={primaryButton} onClick={() => onDone(checked, choice.path)}>
            Continue with the {choice.path === 'portable' ? 'portable' : 'classic'} path
          </button>
        </div>
      )}
    </Card>
  );
}

function ProveStage(props: {
  path: MigrationPath;
  target: TargetServer;
  oldUserId: string;
  oldAccountKey?: string;
  onBack: () => void;
  onDone: (session: TargetSession, secret?: Uint8Array) => Promise<void>;
}) {
  const { path, target, oldUserId } = props;
  const [recoveryKey, setRecoveryKey] = useState('');
  const [username, setUsername] = useState(localpartOf(oldUserId));
  const [password, setPassword] = useState('');
  const [mode, setMode] = useState<'register' | 'login'>('register');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const server = { baseUrl: target.baseUrl, serverName: target.serverName };
  const toTarget = (s: { userId: string; accessToken: string; deviceId: string }): TargetSession => ({ ...s, baseUrl: target.baseUrl, serverName: target.serverName });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    setError(undefined);
    try {
      if (path === 'portable') {
        const field = readRecoveryKeyField(recoveryKey);
        if (field.state !== 'valid') return;
        if (props.oldAccountKey && accountKeyId(field.secret) !== props.oldAccountKey) {
          setError(`This recovery key is not the one of ${oldUserId}. Use the key you created that account with.`);
          return;
        }
        setBusy(`Signing in to ${target.serverName} with your recovery key…`);
        let session;
        try {
          session = await loginWithAccountKey(server, field.secret);
        } catch (err) {
          if (!(err instanceof UnknownAccountKeyError)) throw err;
          setBusy(`Bringing your identity to ${target.serverName} as @${username}…`);
          session = await registerWithAccountKey(server, field.secret, username);
        }
        setBusy('Reading your rooms from this device…');
        await props.onDone(toTarget(session), field.secret);
      } else {
        setBusy(mode === 'register' ? `Creating @${username} on ${target.serverName}…` : `Signing in to ${target.serverName}…`);
        const session = mode === 'register' ? await registerWithPassword(target.baseUrl, username, password) : await loginWithPassword(target.baseUrl, username, password);
        setBusy('Reading your rooms from this device…');
        await props.onDone(toTarget(session));
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <Card title="Prove it’s you" step={2}>
      <form onSubmit={submit} className="space-y-3">
        {path === 'portable' ? (
          <>
            <p>Your recovery key signs you in on {target.serverName} (or brings your identity there) and makes your member keys again. It is never sent anywhere and is forgotten when you close this page.</p>
            <RecoveryKeyField value={recoveryKey} onChange={setRecoveryKey} strict={tried} autoFocus />
            <label className="block space-y-1">
              <span className="text-sm">Username on {target.serverName} (if you have no account there yet)</span>
              <input className={inputClass} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
            </label>
          </>
        ) : (
          <>
            <fieldset className="flex gap-4 text-sm">
              <legend className="sr-only">New account</legend>
              <label className="flex items-center gap-2">
                <input type="radio" name="mode" checked={mode === 'register'} onChange={() => setMode('register')} /> Create a new account
              </label>
              <label className="flex items-center gap-2">
                <input type="radio" name="mode" checked={mode === 'login'} onChange={() => setMode('login')} /> I already have one
              </label>
            </fieldset>
            <label className="block space-y-1">
              <span className="text-sm">Username on {target.serverName}</span>
              <input className={inputClass} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
            </label>
            <label className="block space-y-1">
              <span className="text-sm">Password</span>
              <input className={inputClass} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete={mode === 'register' ? 'new-password' : 'current-password'} />
            </label>
          </>
        )}
        <div className="flex gap-2">
          <button type="button" className={secondaryButton} onClick={props.onBack}>
            Back
          </button>
          <button className={primaryButton} disabled={!!busy}>
            {path === 'portable' ? 'Prove and continue' : mode === 'register' ? 'Create account and continue' : 'Sign in and continue'}
          </button>
        </div>
        {busy && <p role="status">{busy}</p>}
        <Problem text={error} />
      </form>
    </Card>
  );
}

const ACTION_STYLE: Record<string, string> = {
  adopt: 'text-emerald-700 dark:text-emerald-300',
  reinvite: 'text-amber-700 dark:text-amber-300',
  'join-public': 'text-amber-700 dark:text-amber-300',
  cannot: 'text-red-700 dark:text-red-300',
};

function PlanStage({ path, items, onToggle, onStart }: { path: MigrationPath; items: PlanItem[]; onToggle: (id: string, on: boolean) => void; onStart: (options: MigrationOptions) => Promise<void> }) {
  const [options, setOptions] = useState<MigrationOptions>({ notice: path === 'classic', leaveOld: false });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const classicRooms = items.some((i) => i.kind === 'room' && i.selected && i.action !== 'adopt');
  const rooms = items.filter((i) => i.kind === 'room');
  const rest = items.filter((i) => i.kind !== 'room');
  const row = (item: PlanItem) => (
    <li key={item.id} className="flex gap-3 py-2">
      <input
        id={`plan-${item.id}`}
        type="checkbox"
        className="mt-1 h-4 w-4"
        checked={item.selected}
        disabled={!item.movable}
        onChange={(e) => onToggle(item.id, e.target.checked)}
        aria-describedby={`plan-${item.id}-why`}
      />
      <div className="min-w-0 flex-1">
        <label htmlFor={`plan-${item.id}`} className="font-medium">
          {item.label}
        </label>
        <p className={`text-sm ${ACTION_STYLE[item.action ?? ''] ?? ''}`}>{item.summary}</p>
        {item.reason && (
          <p id={`plan-${item.id}-why`} className="text-sm text-slate-600 dark:text-slate-400">
            {item.reason}
          </p>
        )}
      </div>
    </li>
  );
  return (
    <Card title="Plan" step={3}>
      <p>Every room you are in, with what will happen and why. Untick what you want to leave behind. Nothing on your old account is removed before the new server holds it.</p>
      <h3 className="font-semibold">Rooms ({rooms.length})</h3>
      <ul aria-label="Rooms to move" className="divide-y divide-slate-200 dark:divide-slate-800">
        {rooms.map(row)}
      </ul>
      {rest.length > 0 && (
        <>
          <h3 className="font-semibold">Profile and settings</h3>
          <ul aria-label="Profile and settings to copy" className="divide-y divide-slate-200 dark:divide-slate-800">
            {rest.map(row)}
          </ul>
        </>
      )}
      {classicRooms && (
        <fieldset className="space-y-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700">
          <legend className="px-1 font-medium">Rooms moved by re-invite</legend>
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={options.notice} onChange={(e) => setOptions({ ...options, notice: e.target.checked })} /> Post a notice in each room that I moved
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={options.leaveOld} onChange={(e) => setOptions({ ...options, leaveOld: e.target.checked })} /> Old account leaves each room once the new one is in
          </label>
        </fieldset>
      )}
      <button
        className={primaryButton}
        disabled={busy || !items.some((i) => i.selected)}
        onClick={async () => {
          setBusy(true);
          try {
            await onStart(options);
          } catch (err) {
            setError(`Could not save the plan on this device: ${errorText(err)}`);
            setBusy(false);
          }
        }}
      >
        Start moving
      </button>
      <Problem text={error} />
    </Card>
  );
}

function Bar({ label, value, max }: { label: string; value: number; max: number }) {
  return <progress aria-label={label} className="h-2 w-full accent-indigo-600" value={value} max={Math.max(1, max)} />;
}

function ItemRow({ entry, onRetry, disabled }: { entry: ItemProgress; onRetry: () => void; disabled: boolean }) {
  const { item, state } = entry;
  const words = state === 'done' ? 'done' : state === 'failed' ? `failed while ${entry.current}` : state === 'running' ? entry.current : state === 'waiting' ? `waiting: ${entry.current}` : item.movable ? 'not selected' : 'cannot move';
  return (
    <li className="space-y-1 py-2" aria-label={item.label}>
      <div className="flex items-center gap-2">
        <span className="min-w-0 flex-1 truncate font-medium">{item.label}</span>
        <span className="text-sm text-slate-600 dark:text-slate-400" data-state={state}>
          {state === 'done' ? '✓ ' : state === 'failed' ? '✗ ' : ''}
          {words}
        </span>
      </div>
      {entry.total > 0 && <Bar label={`${item.label} progress`} value={entry.done} max={entry.total} />}
      {state === 'failed' && (
        <div className="flex items-start gap-2">
          <p role="alert" className="flex-1 text-sm text-red-700 dark:text-red-300">
            {entry.error}
          </p>
          <button className={secondaryButton} disabled={disabled} onClick={onRetry} aria-label={`Retry ${item.label}`}>
            Retry
          </button>
        </div>
      )}
      {state === 'skipped' && !item.movable && item.reason && <p className="text-sm text-slate-600 dark:text-slate-400">{item.reason}</p>}
    </li>
  );
}

function MoveStage(props: {
  client: MatrixClient;
  journal: MigrationJournal;
  store: JournalStore;
  secret: { current: Uint8Array | undefined };
  onSecret: (secret: Uint8Array) => void;
  oldAccountKey?: string;
  onJournal: (journal: MigrationJournal) => void;
  onDiscard: () => Promise<void>;
}) {
  const { client, journal, store, onJournal } = props;
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string>();
  const [recoveryKey, setRecoveryKey] = useState('');
  const [tried, setTried] = useState(false);
  const [marking, setMarking] = useState<string>();
  const [askKeyToMark, setAskKeyToMark] = useState(false);
  const progress = useMemo(() => progressOf(journal), [journal]);
  const needsSecret = journal.path === 'portable' && !props.secret.current && journal.steps.some((s) => s.kind === 'adopt' && s.status !== 'done');

  // Closing the wizard stops taking new steps; the one under way finishes and is recorded.
  const stops = useRef(new Set<AbortController>());
  useEffect(() => {
    const current = stops.current;
    return () => current.forEach((stop) => stop.abort());
  }, []);

  const run = useCallback(
    async (from: MigrationJournal) => {
      setRunning(true);
      setError(undefined);
      const owner = from.source.userId;
      const stop = new AbortController();
      stops.current.add(stop);
      let mine: Promise<unknown> | undefined;
      try {
        // A run from an earlier opening of the wizard may still be finishing its step: wait, then go on from what it saved.
        const earlier = activeRuns.get(owner);
        if (earlier) {
          await earlier.catch(() => undefined);
          from = (await store.load(owner)) ?? from;
          onJournal(from);
        }
        const execute = createExecutor({
          fetch: window.fetch.bind(window),
          source: { baseUrl: from.source.baseUrl, accessToken: client.getAccessToken() ?? '' },
          ...(props.secret.current ? { memberRoot: deriveMemberRoot(props.secret.current) } : {}),
        });
        mine = runMigration(from, execute, { save: store.save, onChange: onJournal, signal: stop.signal });
        activeRuns.set(owner, mine);
        await mine;
      } catch (err) {
        setError(`The move stopped: ${errorText(err)}. Nothing is lost; continue when ready.`);
      } finally {
        if (mine && activeRuns.get(owner) === mine) activeRuns.delete(owner);
        stops.current.delete(stop);
        setRunning(false);
      }
    },
    [client, store, onJournal, props.secret],
  );

  // Resume on open: steps left 'running' by a closed tab run again (each is idempotent). Once per mount; a second
  // mount (StrictMode in development, or reopening the wizard) waits for the earlier run through activeRuns.
  useEffect(() => {
    if (needsSecret || progress.finished) return;
    void run(journal);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const retry = async (itemId: string) => {
    const next = retryItem(journal, itemId);
    await store.save(next);
    onJournal(next);
    void run(next);
  };

  const download = () => {
    const blob = new Blob([JSON.stringify(summaryOf(journal), null, 2)], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `wayfarer-migration-${journal.id}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const markMoved = async () => {
    if (!props.secret.current) {
      setAskKeyToMark(true);
      return;
    }
    setAskKeyToMark(false);
    setMarking('Marking the old account moved…');
    try {
      const secret = props.secret.current;
      await markOldAccountMoved(window.fetch.bind(window), { baseUrl: journal.source.baseUrl, accessToken: client.getAccessToken() ?? '' }, journal.target.userId, async () => ({
        ...(await proveAccountKey({ baseUrl: journal.source.baseUrl, serverName: journal.source.serverName }, secret)),
      }));
      const next = { ...journal, markedMovedTs: Date.now() };
      await store.save(next);
      onJournal(next);
      setMarking(undefined);
    } catch (err) {
      setMarking(`Could not mark the old account moved: ${errorText(err)}`);
    }
  };

  const finished = progress.finished && !running;
  const rooms = progress.items.filter((i) => i.item.kind === 'room');
  return (
    <Card title={finished ? 'Check and finish' : 'Move'} step={finished ? 5 : 4}>
      <p>
        From <strong>{journal.source.userId}</strong> to <strong>{journal.target.userId}</strong> ({journal.path === 'portable' ? 'portable path: same identity' : 'classic path: re-invite'}).
      </p>
      {(needsSecret || askKeyToMark) && (
        <form
          className="space-y-3 rounded-md border border-amber-300 p-3 dark:border-amber-700"
          onSubmit={(e) => {
            e.preventDefault();
            setTried(true);
            const field = readRecoveryKeyField(recoveryKey);
            if (field.state !== 'valid') return;
            if (props.oldAccountKey && accountKeyId(field.secret) !== props.oldAccountKey) {
              setError(`This recovery key is not the one of ${journal.source.userId}.`);
              return;
            }
            props.onSecret(field.secret);
            if (askKeyToMark) void markMoved();
            else void run(journal);
          }}
        >
          <p>{askKeyToMark ? 'Enter your recovery key to confirm to your old server that you moved.' : 'Enter your recovery key to continue the move where it stopped.'} It is not stored anywhere.</p>
          <RecoveryKeyField value={recoveryKey} onChange={setRecoveryKey} strict={tried} autoFocus />
          <button className={primaryButton}>{askKeyToMark ? 'Confirm' : 'Continue the move'}</button>
        </form>
      )}
      <div className="space-y-1">
        <div className="flex justify-between text-sm">
          <span>{finished ? (progress.failed > 0 ? `${progress.failed} item${progress.failed === 1 ? '' : 's'} failed` : 'Everything moved') : running ? 'Moving…' : 'Paused'}</span>
          <span>
            {progress.done} of {progress.total} steps
          </span>
        </div>
        <Bar label="Overall progress" value={progress.done} max={progress.total} />
      </div>
      <Problem text={error} />
      <ul aria-label="Items" className="divide-y divide-slate-200 dark:divide-slate-800">
        {progress.items.map((entry) => (
          <ItemRow key={entry.item.id} entry={entry} onRetry={() => void retry(entry.item.id)} disabled={running || needsSecret} />
        ))}
      </ul>
      {finished && (
        <div className="space-y-3">
          <h3 className="font-semibold">What {journal.target.serverName} sees</h3>
          <ul aria-label="Check of moved rooms" className="space-y-1 text-sm">
            {rooms.map(({ item }) => {
              const check = journal.steps.find((s) => s.itemId === item.id && s.kind === 'verify');
              return (
                <li key={item.id}>
                  {check?.status === 'done' ? '✓' : '–'} {item.label}: {check?.status === 'done' ? check.outcome : check ? 'not checked' : item.movable ? 'not selected' : 'cannot move'}
                </li>
              );
            })}
          </ul>
          <div className="flex flex-wrap gap-2">
            <button className={primaryButton} onClick={download}>
              Download summary (JSON)
            </button>
            {journal.path === 'portable' && !journal.markedMovedTs && (
              <button className={secondaryButton} disabled={!!marking && marking.endsWith('…')} onClick={() => void markMoved()}>
                Mark the old account as moved
              </button>
            )}
            <button className={secondaryButton} onClick={() => void props.onDiscard()}>
              Done
            </button>
          </div>
          {journal.markedMovedTs && <p role="status">✓ {journal.source.serverName} knows this account moved to {journal.target.userId}; it no longer holds your member keys.</p>}
          {marking && <p role="status">{marking}</p>}
        </div>
      )}
    </Card>
  );
}
