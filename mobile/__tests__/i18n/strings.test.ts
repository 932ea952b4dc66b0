import { languageOfLocale } from "../../src/i18n/language";
import { LANGUAGES, STRINGS, type Strings } from "../../src/i18n/strings";

/** Every leaf of a strings table as "path: value" (functions called with sample arguments). */
function leaves(table: unknown, path = ""): [string, string][] {
  if (typeof table === "string") return [[path, table]];
  if (typeof table === "function") {
    const sample = (table as (...args: unknown[]) => unknown)(3, 1.5, 2.5, "x");
    return [[`${path}()`, String(sample)]];
  }
  if (Array.isArray(table)) return table.flatMap((item, i) => leaves(item, `${path}[${i}]`));
  return Object.entries(table as Record<string, unknown>).flatMap(([key, value]) =>
    leaves(value, path ? `${path}.${key}` : key),
  );
}

test("both languages have every key, none empty", () => {
  const sv = new Map(leaves(STRINGS.sv));
  const en = new Map(leaves(STRINGS.en));
  expect([...sv.keys()].sort()).toEqual([...en.keys()].sort());
  for (const [key, value] of [...sv, ...en]) {
    expect(`${key}: ${value.trim()}`).not.toMatch(/: $/);
    expect(value).not.toMatch(/undefined|NaN|\[object/);
  }
});

test("Swedish is Swedish: most words differ from the English ones", () => {
  const en = new Map(leaves(STRINGS.en));
  const same = leaves(STRINGS.sv).filter(([key, value]) => en.get(key) === value);
  // Only words that are the same in both languages ("Offline") may coincide.
  expect(same.map(([key]) => key)).toEqual(["pillOffline"]);
});

test("no public word names H3 ids, hour factors or a verdict on a place", () => {
  for (const language of LANGUAGES) {
    const text = leaves(STRINGS[language])
      .map(([, value]) => value)
      .join(" ")
      .toLowerCase();
    expect(text).not.toMatch(/\bh3\b|hour factor|timfaktor|dangerous|farlig|unsafe|otrygg/);
  }
});

test("times and dates read naturally in each language", () => {
  const words = (t: Strings) => [t.ago(0.4), t.ago(5), t.ago(125), t.ago(3 * 1440 + 5)];
  expect(words(STRINGS.en)).toEqual(["just now", "5 min ago", "2 h ago", "3 days ago"]);
  expect(words(STRINGS.sv)).toEqual([
    "just nu",
    "för 5 min sedan",
    "för 2 tim sedan",
    "för 3 dagar sedan",
  ]);
  expect(STRINGS.en.dataUpTo("2025-12-31T21:30:00Z")).toBe("Data up to 31 Dec 2025");
  expect(STRINGS.sv.dataUpTo("2025-12-31T21:30:00Z")).toBe("Data t.o.m. 31 dec 2025");
  expect(STRINGS.sv.relativeRate(1.8, 1.2, 2.6)).toBe("1,8× stadens nivå (troligen 1,2×–2,6×)");
});

test("the emergency sentences name the numbers they are given, in both languages", () => {
  expect(STRINGS.en.emergencyAndPolice("112", "114\u00a014")).toBe(
    "In an emergency call 112. To reach the police otherwise: 114\u00a014.",
  );
  expect(STRINGS.sv.emergencyAndPolice("112", "114\u00a014")).toBe(
    "Vid nödsituation, ring 112. För att nå polisen i andra fall: 114\u00a014.",
  );
  expect(STRINGS.en.emergencyOnly("911")).toBe("In an emergency call 911.");
  expect(STRINGS.sv.emergencyOnly("911")).toBe("Vid nödsituation, ring 911.");
  expect(STRINGS.en.callNumber("911")).toBe("Call 911");
  expect(STRINGS.sv.callNumber("911")).toBe("Ring 911");
});

test.each([
  ["sv-SE", "sv"],
  ["sv", "sv"],
  ["sv-FI", "sv"],
  ["en-US", "en"],
  ["fi-FI", "en"],
  [null, "en"],
])("locale %p gives %p", (locale, language) => {
  expect(languageOfLocale(locale)).toBe(language);
});
