/**
 * Every word on a screen comes from i18n/strings.ts: no JSX text or user-facing prop
 * (label, placeholder, accessibilityLabel, title) spelled out in a component.
 */
// Node's own modules, typed here: the app's tsconfig has no Node types.
declare const __dirname: string;
declare function require(name: string): unknown;
const { readdirSync, readFileSync } = require("fs") as {
  readdirSync(path: string): string[];
  readFileSync(path: string, encoding: "utf8"): string;
};
const { join } = require("path") as { join(...parts: string[]): string };

const ROOTS = [join(__dirname, "../../src/ui"), join(__dirname, "../../src/map")];
const FILES = ROOTS.flatMap((root) =>
  readdirSync(root)
    .filter((name) => name.endsWith(".tsx"))
    .map((name) => join(root, name)),
);

test.each(FILES)("%s shows no hard-coded words", (file) => {
  const source = readFileSync(file, "utf8");
  const jsxText = [...source.matchAll(/(?<!=)>\s*([A-Za-zÅÄÖåäö][^<>{}();="]*?)\s*</g)]
    .map((match) => match[1])
    // Generic type parameters (useState<Selection>) are not text.
    .filter((text) => text !== undefined && !/^[A-Z]\w*(\s*\|\s*\w+)*$/.test(text));
  const props = [
    ...source.matchAll(/\b(label|placeholder|accessibilityLabel|title|message)="([^"]+)"/g),
  ].map((match) => `${match[1]}="${match[2]}"`);
  expect([...jsxText, ...props]).toEqual([]);
});
