import { useState, type FormEvent } from 'react';

/** The first screen: homeserver, username and password. */
export function SignInScreen() {
  const [homeserver, setHomeserver] = useState('alpha.localhost:8481');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  function onSubmit(event: FormEvent) {
    event.preventDefault();
  }

  const field =
    'w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900 focus:outline-2 focus:outline-indigo-500';
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <form onSubmit={onSubmit} className="w-full max-w-sm space-y-4" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title" className="text-2xl font-semibold">
          Sign in to Wayfarer
        </h1>
        <label className="block space-y-1">
          <span className="text-sm">Homeserver</span>
          <input className={field} value={homeserver} onChange={(e) => setHomeserver(e.target.value)} />
        </label>
        <label className="block space-y-1">
          <span className="text-sm">Username</span>
          <input className={field} value={username} autoComplete="username" onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="block space-y-1">
          <span className="text-sm">Password</span>
          <input
            className={field}
            type="password"
            value={password}
            autoComplete="current-password"
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="w-full rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-500">
          Sign in
        </button>
      </form>
    </main>
  );
}
