/**
 * The on-device alert state machine. Enter the alert state inside an alert zone (score at or
 * above the alert threshold, 0.6); leave it only outside every clear zone (below 0.5), so a
 * walk along an edge does not flap. Entering may notify, subject to the alert policy.
 */
import type { LonLat } from "../geo/geometry";
import {
  type AlertHistory,
  type AlertPolicy,
  type LocalClock,
  type Suppression,
  recordAlert,
  suppressionOf,
} from "./alertPolicy";
import { type Zone, type ZoneSet, alertZonesAt, insideClearZone } from "./zones";

export interface GeofenceState extends AlertHistory {
  /** The alert zone that was entered; null while clear. */
  activeZoneId: string | null;
  activeSinceMs: number | null;
}

export interface PositionFix {
  point: LonLat;
  accuracyM: number | null;
  timestampMs: number;
}

export type GeofenceEvent =
  | { kind: "entered"; zone: Zone; notify: true }
  | { kind: "entered"; zone: Zone; notify: false; suppressedBy: Suppression }
  | { kind: "cleared"; zoneId: string };

export interface Transition {
  state: GeofenceState;
  events: GeofenceEvent[];
}

export const INITIAL_STATE: GeofenceState = {
  activeZoneId: null,
  activeSinceMs: null,
  lastAlertMsByZone: {},
  alertsToday: { day: "", count: 0 },
  mutedUntilMs: null,
};

const THREAT_ORDER = { high: 1, elevated: 0 } as const;

/** Of several overlapping alert zones, the one with the higher threat level. */
function mostSevere(zones: Zone[]): Zone | undefined {
  return [...zones].sort((a, b) => THREAT_ORDER[b.threatLevel] - THREAT_ORDER[a.threatLevel])[0];
}

/** The next state and what happened, for one position fix. */
export function evaluatePosition(
  state: GeofenceState,
  zones: ZoneSet,
  fix: PositionFix,
  policy: AlertPolicy,
  clock: LocalClock,
): Transition {
  if (fix.accuracyM !== null && fix.accuracyM > policy.maxAccuracyM) {
    return { state, events: [] };
  }
  if (state.activeZoneId !== null) return stayOrClear(state, zones, fix);
  const zone = mostSevere(alertZonesAt(zones, fix.point));
  if (!zone) return { state, events: [] };
  return enter(state, zone, fix.timestampMs, policy, clock);
}

function stayOrClear(state: GeofenceState, zones: ZoneSet, fix: PositionFix): Transition {
  const stillElevated =
    insideClearZone(zones, fix.point) || alertZonesAt(zones, fix.point).length > 0;
  if (stillElevated) return { state, events: [] };
  const zoneId = state.activeZoneId ?? "";
  return {
    state: { ...state, activeZoneId: null, activeSinceMs: null },
    events: [{ kind: "cleared", zoneId }],
  };
}

function enter(
  state: GeofenceState,
  zone: Zone,
  nowMs: number,
  policy: AlertPolicy,
  clock: LocalClock,
): Transition {
  const active: GeofenceState = { ...state, activeZoneId: zone.id, activeSinceMs: nowMs };
  const suppressedBy = suppressionOf(state, zone.id, nowMs, policy, clock);
  if (suppressedBy) {
    return { state: active, events: [{ kind: "entered", zone, notify: false, suppressedBy }] };
  }
  return {
    state: recordAlert(active, zone.id, nowMs, policy, clock),
    events: [{ kind: "entered", zone, notify: true }],
  };
}
