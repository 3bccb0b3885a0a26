/** Light/dark mode: follows the OS until the user picks one, which is kept in localStorage. */
export type ThemeChoice = 'auto' | 'light' | 'dark';
const KEY = 'strata.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

export function themeChoice(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'auto';
}

export function effectiveTheme(choice = themeChoice()): 'light' | 'dark' {
  return choice === 'auto' ? (media.matches ? 'dark' : 'light') : choice;
}

export function applyTheme(choice = themeChoice()): void {
  document.documentElement.dataset['theme'] = effectiveTheme(choice);
}

export function setThemeChoice(choice: ThemeChoice): void {
  if (choice === 'auto') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  applyTheme(choice);
}

export function watchOsTheme(onChange: () => void): void {
  media.addEventListener('change', () => {
    applyTheme();
    onChange();
  });
}
