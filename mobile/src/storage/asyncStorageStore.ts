/** The device's key-value store: AsyncStorage (localStorage on the web), which survives restarts. */
import AsyncStorage from "@react-native-async-storage/async-storage";
import type { KeyValueStore } from "./keyValueStore";

export const asyncStorageStore: KeyValueStore = {
  getItem: (key) => AsyncStorage.getItem(key),
  setItem: (key, value) => AsyncStorage.setItem(key, value),
  removeItem: (key) => AsyncStorage.removeItem(key),
};
