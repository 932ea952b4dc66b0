// Jest through jest-expo (React Native preset, Babel as Metro would). The closing-line
// reporter prints "N passed, N failed" after Jest's own summary, as the test runner expects.
module.exports = {
  preset: "jest-expo",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts", "**/*.test.tsx"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
  setupFiles: ["<rootDir>/jest/setup.js"],
  reporters: ["default", "<rootDir>/jest/closingLineReporter.js"],
  // Screen tests render the whole React Native tree; on a loaded 2-core CI machine the first
  // render alone took over 5 s (the default), so allow 30 s rather than fail on load.
  testTimeout: 30000,
};
