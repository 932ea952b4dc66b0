/**
 * The geofence engine on the device: keeps zones for the area fresh, runs each position fix
 * through the alert state machine, persists the state, notifies, and tells the OS which
 * regions to watch. Shared by the foreground watcher and the background tasks; everything
 * native comes in through the small interfaces below.
 */
import type { ZoneFetchResult } from "../api/mapApi";
import type { BBox, LonLat } from "../geo/geometry";
import { type KeyValueStore, readJson, writeJson } from "../storage/keyValueStore";
import { type AlertPolicy, type LocalClock, muteFor } from "./alertPolicy";
import {
  type GeofenceEvent,
  type GeofenceState,
  INITIAL_STATE,
  type PositionFix,
  evaluatePosition,
} from "./alertStateMachine";
import {
  type Platform,
  type RegionSelection,
  needsZoneRefresh,
  preciseTrackingNeeded,
  selectRegions,
  zoneFetchBox,
} from "./regions";
import { type Zone, type ZoneSet, parseZones } from "./zones";

export interface ZoneSource {
  alertZones(box: BBox, etag: string | null): Promise<ZoneFetchResult>;
}

export interface AlertNotifier {
  notify(zone: Zone): Promise<void>;
}

/** The OS side: circular regions and continuous updates (absent on the web). */
export interface RegionMonitor {
  monitor(selection: RegionSelection): Promise<void>;
  setPreciseTracking(enabled: boolean): Promise<void>;
}

export interface GeofenceDeps {
  store: KeyValueStore;
  zoneSource: ZoneSource;
  notifier: AlertNotifier;
  regionMonitor: RegionMonitor | null;
  platform: Platform;
  policy: () => Promise<AlertPolicy>;
  clock: LocalClock;
  nowMs: () => number;
}

interface StoredZones {
  zones: ZoneSet;
  etag: string | null;
}

export interface GeofenceSnapshot {
  state: GeofenceState;
  zones: ZoneSet | null;
  insideRegionIds: string[];
}

export const STATE_KEY = "halo.geofence.state.v1";
export const ZONES_KEY = "halo.geofence.zones.v1";
export const REGIONS_KEY = "halo.geofence.inside-regions.v1";
/** Zones are re-validated this often (a 304 while the generation is unchanged). */
export const ZONE_MAX_AGE_MS = 3 * 60 * 60 * 1000;

type Listener = (event: GeofenceEvent) => void;

export class GeofenceService {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<Listener>();

  constructor(private readonly deps: GeofenceDeps) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * One fix through the machine; fixes are handled one at a time, in arrival order.
   * `reselectRegions` re-registers the OS regions (at start: Android forgets them on reboot).
   */
  handleFix(fix: PositionFix, reselectRegions = false): Promise<GeofenceEvent[]> {
    return this.serialised(() => this.process(fix, reselectRegions));
  }

  /** The OS reports a region crossing; the fix taken then decides the rest. */
  handleRegionEvent(regionId: string, entered: boolean, fix: PositionFix | null) {
    return this.serialised(async () => {
      const inside = new Set(await readJson<string[]>(this.deps.store, REGIONS_KEY, []));
      if (entered) inside.add(regionId);
      else inside.delete(regionId);
      await writeJson(this.deps.store, REGIONS_KEY, [...inside]);
      return fix ? this.process(fix, !entered) : [];
    });
  }

  mute(): Promise<void> {
    return this.serialised(async () => {
      const state = await this.state();
      await writeJson(
        this.deps.store,
        STATE_KEY,
        muteFor(state, this.deps.nowMs(), await this.deps.policy()),
      );
    });
  }

  snapshot(): Promise<GeofenceSnapshot> {
    return this.serialised(async () => ({
      state: await this.state(),
      zones: (await this.storedZones())?.zones ?? null,
      insideRegionIds: await readJson<string[]>(this.deps.store, REGIONS_KEY, []),
    }));
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async state(): Promise<GeofenceState> {
    return {
      ...INITIAL_STATE,
      ...(await readJson<Partial<GeofenceState>>(this.deps.store, STATE_KEY, {})),
    };
  }

  private storedZones(): Promise<StoredZones | null> {
    return readJson<StoredZones | null>(this.deps.store, ZONES_KEY, null);
  }

  private async process(fix: PositionFix, reselect = false): Promise<GeofenceEvent[]> {
    const { zones, changed } = await this.zonesFor(fix.point);
    if (!zones) return [];
    const policy = await this.deps.policy();
    const transition = evaluatePosition(await this.state(), zones, fix, policy, this.deps.clock);
    await writeJson(this.deps.store, STATE_KEY, transition.state);
    for (const event of transition.events) {
      if (event.kind === "entered" && event.notify) await this.deps.notifier.notify(event.zone);
      this.listeners.forEach((listener) => listener(event));
    }
    await this.updateRegions(zones, fix.point, transition.state, changed || reselect);
    return transition.events;
  }

  /** The stored zones, refreshed first when due; offline, the last ones stay in use. */
  private async zonesFor(point: LonLat): Promise<{ zones: ZoneSet | null; changed: boolean }> {
    const stored = await this.storedZones();
    const nowMs = this.deps.nowMs();
    if (!needsZoneRefresh(stored?.zones ?? null, point, nowMs, ZONE_MAX_AGE_MS)) {
      return { zones: stored?.zones ?? null, changed: false };
    }
    const box = zoneFetchBox(point);
    const sameBox = stored !== null && stored.zones.loadedBox.join() === box.join();
    try {
      const result = await this.deps.zoneSource.alertZones(box, sameBox ? stored.etag : null);
      if (result.kind === "unchanged" && stored) {
        const zones = { ...stored.zones, fetchedAtMs: nowMs };
        await writeJson(this.deps.store, ZONES_KEY, { zones, etag: stored.etag });
        return { zones, changed: false };
      }
      if (result.kind === "fresh") {
        const zones = parseZones(result.response, box, nowMs);
        await writeJson(this.deps.store, ZONES_KEY, { zones, etag: result.etag });
        return { zones, changed: true };
      }
    } catch {
      // No network or a server error: keep alerting from what the device already has.
    }
    return { zones: stored?.zones ?? null, changed: false };
  }

  private async updateRegions(
    zones: ZoneSet,
    point: LonLat,
    state: GeofenceState,
    reselect: boolean,
  ) {
    const monitor = this.deps.regionMonitor;
    if (!monitor) return;
    if (reselect) await monitor.monitor(selectRegions(zones, point, this.deps.platform));
    const inside = await readJson<string[]>(this.deps.store, REGIONS_KEY, []);
    await monitor.setPreciseTracking(preciseTrackingNeeded(state.activeZoneId, inside));
  }
}
