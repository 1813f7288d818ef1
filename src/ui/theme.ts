// The theme choice: system (follows prefers-color-scheme, live), light or dark, kept in localStorage. index.html's
// inline script applies it before first paint with the same key and rule; this module keeps <html> in step after.
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

/** Also read by index.html's inline script: keep the two in step. */
export const THEME_STORAGE_KEY = 'wayfarer.theme';
const darkQuery = '(prefers-color-scheme: dark)';

export function parseThemeChoice(value: string | null | undefined): ThemeChoice {
  return value === 'light' || value === 'dark' ? value : 'system';
}

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

function storedChoice(): ThemeChoice {
  try {
    return parseThemeChoice(localStorage.getItem(THEME_STORAGE_KEY));
  } catch {
    return 'system'; // storage blocked: follow the system
  }
}

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia(darkQuery).matches;
}

function apply(choice: ThemeChoice): void {
  const theme = resolveTheme(choice, systemDark());
  const root = document.documentElement;
  root.dataset.theme = theme;
  root.style.colorScheme = theme;
}

interface ThemeState {
  choice: ThemeChoice;
  setChoice(choice: ThemeChoice): void;
}

export const themeStore = createStore<ThemeState>()((set) => ({
  choice: typeof localStorage === 'undefined' ? 'system' : storedChoice(),
  setChoice(choice) {
    try {
      if (choice === 'system') localStorage.removeItem(THEME_STORAGE_KEY);
      else localStorage.setItem(THEME_STORAGE_KEY, choice);
    } catch {
      // storage blocked: the choice holds for this page only
    }
    set({ choice });
    apply(choice);
  },
}));

export function useThemeChoice(): ThemeChoice {
  return useStore(themeStore, (s) => s.choice);
}

/** Keeps <html data-theme> in step with the system (when the choice is system) and with other tabs' choices. */
export function startTheme(): () => void {
  apply(themeStore.getState().choice);
  const media = matchMedia(darkQuery);
  const onSystem = () => apply(themeStore.getState().choice);
  const onStorage = (e: StorageEvent) => {
    if (e.key !== THEME_STORAGE_KEY && e.key !== null) return;
    const choice = storedChoice();
    themeStore.setState({ choice });
    apply(choice);
  };
  media.addEventListener('change', onSystem);
  addEventListener('storage', onStorage);
  return () => {
    media.removeEventListener('change', onSystem);
    removeEventListener('storage', onStorage);
  };
}
