/**
 * The app's language: the device's (Swedish when its locale is Swedish, else English) until
 * the user picks one in the settings; the choice is kept on the device. A small store that
 * screens subscribe to and plain modules (notifications, the pill) read.
 */
import { useSyncExternalStore } from "react";
import type { KeyValueStore } from "../storage/keyValueStore";
import { type Language, STRINGS, type Strings } from "./strings";

export const LANGUAGE_KEY = "halo.settings.language.v1";

/** "sv" for a Swedish locale tag (sv, sv-SE, sv-FI), else "en". */
export function languageOfLocale(locale: string | null | undefined): Language {
  return typeof locale === "string" && /^sv\b/i.test(locale) ? "sv" : "en";
}

/** The device's locale from Intl (Hermes and browsers), or the browser's language. */
export function deviceLanguage(): Language {
  const fromNavigator =
    typeof navigator !== "undefined" && typeof navigator.language === "string"
      ? navigator.language
      : null;
  let fromIntl: string | null = null;
  try {
    fromIntl = Intl.DateTimeFormat().resolvedOptions().locale;
  } catch {
    fromIntl = null;
  }
  return languageOfLocale(fromNavigator ?? fromIntl);
}

let current: Language = deviceLanguage();
const listeners = new Set<() => void>();

export function getLanguage(): Language {
  return current;
}

export function strings(): Strings {
  return STRINGS[current];
}

export function setLanguage(language: Language): void {
  if (language === current) return;
  current = language;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The chosen language, if the user chose one; the device's otherwise. */
export async function loadLanguage(store: KeyValueStore): Promise<void> {
  const saved = await store.getItem(LANGUAGE_KEY);
  if (saved === "sv" || saved === "en") setLanguage(saved);
}

export async function chooseLanguage(store: KeyValueStore, language: Language): Promise<void> {
  await store.setItem(LANGUAGE_KEY, language);
  setLanguage(language);
}

/** The current language and its words; re-renders when the language changes. */
export function useLanguage(): { language: Language; t: Strings } {
  const language = useSyncExternalStore(subscribe, getLanguage, getLanguage);
  return { language, t: STRINGS[language] };
}
