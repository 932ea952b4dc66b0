/** The outbox for screens: loaded once, told when the network comes and goes, watched. */
import { useEffect, useState } from "react";
import type { OutboxSnapshot } from "../outbox/outbox";
import { subscribeOnline } from "../platform/network";
import { expose } from "./debugHandle";
import { services } from "./services";

export function useOutbox(): OutboxSnapshot {
  const { outbox } = services();
  const [snapshot, setSnapshot] = useState<OutboxSnapshot>(() => outbox.snapshot());

  useEffect(() => {
    expose("outbox", () => outbox.snapshot());
    const stopWatching = outbox.subscribe(setSnapshot);
    void outbox.load();
    const stopNetwork = subscribeOnline((online) => void outbox.setOnline(online));
    return () => {
      stopWatching();
      stopNetwork();
    };
  }, [outbox]);

  return snapshot;
}
