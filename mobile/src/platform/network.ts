/**
 * Online or not, from NetInfo. No reachability probe: by default it would ask a third-party
 * host, and the outbox treats a failed send as "try later" anyway.
 */
import NetInfo, { type NetInfoState } from "@react-native-community/netinfo";

let configured = false;

function configureOnce(): void {
  if (configured) return;
  NetInfo.configure({ reachabilityShouldRun: () => false });
  configured = true;
}

const isOnline = (state: NetInfoState): boolean => state.isConnected !== false;

/** Calls `listener` with the current state and every change; returns the unsubscribe. */
export function subscribeOnline(listener: (online: boolean) => void): () => void {
  configureOnce();
  return NetInfo.addEventListener((state) => listener(isOnline(state)));
}
