// The catalogue comes in two parts: the first screen (sign-in) carries only the sentences it can show, and the rest
// loads with the signed-in app (and the portable sign-in screens), so the first download stays small. The split is
// by key prefix; catalogue.test.ts fails when a module the first screen imports uses a key of another prefix.
export const FIRST_SCREEN_PREFIXES = ['app', 'common', 'errors', 'login', 'password', 'theme'] as const;

export function isFirstScreenKey(key: string): boolean {
  return (FIRST_SCREEN_PREFIXES as readonly string[]).includes(key.slice(0, key.indexOf('.')));
}
