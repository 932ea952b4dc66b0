// Native modules Jest cannot load, replaced by the mocks their authors ship.
jest.mock("@react-native-async-storage/async-storage", () =>
  require("@react-native-async-storage/async-storage/jest/async-storage-mock"),
);
