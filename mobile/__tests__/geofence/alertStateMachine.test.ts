import {
  type AlertPolicy,
  DEFAULT_POLICY,
  HOUR_MS,
  type LocalClock,
  MINUTE_MS,
  muteFor,
} from "../../src/geofence/alertPolicy";
import {
  type GeofenceState,
  INITIAL_STATE,
  type PositionFix,
  evaluatePosition,
} from "../../src/geofence/alertStateMachine";
import { zoneFetchBox } from "../../src/geofence/regions";
import { type ZoneSet, parseZones } from "../../src/geofence/zones";
import {
  ORIGIN,
  hotSpotZones,
  offset,
  squareFeature,
  zonesResponse,
} from "../support/zonesFixture";

// Days and hours in UTC, so the tests mean the same in every time zone.
const utcClock: LocalClock = (ms) => {
  const date = new Date(ms);
  return {
    day: date.toISOString().slice(0, 10),
    minuteOfDay: date.getUTCHours() * 60 + date.getUTCMinutes(),
  };
};
const NOON = Date.parse("2025-06-30T12:00:00Z");
const INSIDE_ALERT = ORIGIN;
const BETWEEN = offset(ORIGIN, 180, 0); // inside the clear square (250 m), outside the alert (100 m)
const OUTSIDE = offset(ORIGIN, 600, 0);

function fix(point: readonly [number, number], timestampMs: number, accuracyM = 10): PositionFix {
  return { point, timestampMs, accuracyM };
}

/** Runs a walk; returns the final state and every event. */
function walk(
  steps: [readonly [number, number], number][],
  zones: ZoneSet = hotSpotZones(),
  policy: AlertPolicy = DEFAULT_POLICY,
  start: GeofenceState = INITIAL_STATE,
) {
  let state = start;
  const events = [];
  for (const [point, at] of steps) {
    const transition = evaluatePosition(state, zones, fix(point, at), policy, utcClock);
    state = transition.state;
    events.push(...transition.events);
  }
  return { state, events };
}

const notified = (events: { kind: string; notify?: boolean }[]) =>
  events.filter((event) => event.kind === "entered" && event.notify).length;

describe("entering and clearing (hysteresis)", () => {
  test("entering an alert zone (score ≥ 0.6) raises one alert", () => {
    const { state, events } = walk([
      [OUTSIDE, NOON],
      [INSIDE_ALERT, NOON + MINUTE_MS],
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "entered", notify: true });
    expect(state.activeZoneId).toMatch(/^alert:/);
  });

  test("staying inside raises nothing more", () => {
    const { events } = walk([
      [INSIDE_ALERT, NOON],
      [offset(ORIGIN, 20, 20), NOON + MINUTE_MS],
      [offset(ORIGIN, -30, 10), NOON + 2 * MINUTE_MS],
    ]);
    expect(notified(events)).toBe(1);
    expect(events).toHaveLength(1);
  });

  test("a score between 0.5 and 0.6 does not alert when arriving from outside", () => {
    const { state, events } = walk([
      [OUTSIDE, NOON],
      [BETWEEN, NOON + MINUTE_MS],
    ]);
    expect(events).toEqual([]);
    expect(state.activeZoneId).toBeNull();
  });

  test("the alert state holds until the score is below 0.5, so an edge walk does not flap", () => {
    const { state, events } = walk([
      [INSIDE_ALERT, NOON],
      [BETWEEN, NOON + MINUTE_MS],
      [INSIDE_ALERT, NOON + 2 * MINUTE_MS],
      [BETWEEN, NOON + 3 * MINUTE_MS],
    ]);
    expect(events).toHaveLength(1);
    expect(state.activeZoneId).not.toBeNull();
  });

  test("leaving every clear zone clears the state", () => {
    const { state, events } = walk([
      [INSIDE_ALERT, NOON],
      [BETWEEN, NOON + MINUTE_MS],
      [OUTSIDE, NOON + 2 * MINUTE_MS],
    ]);
    expect(events.map((event) => event.kind)).toEqual(["entered", "cleared"]);
    expect(state.activeZoneId).toBeNull();
  });

  test("an imprecise fix neither enters nor clears", () => {
    const zones = hotSpotZones();
    const entered = evaluatePosition(
      INITIAL_STATE,
      zones,
      fix(INSIDE_ALERT, NOON, 500),
      DEFAULT_POLICY,
      utcClock,
    );
    expect(entered.events).toEqual([]);
    const active = walk([[INSIDE_ALERT, NOON]]).state;
    const cleared = evaluatePosition(
      active,
      zones,
      fix(OUTSIDE, NOON + 1, 500),
      DEFAULT_POLICY,
      utcClock,
    );
    expect(cleared.state.activeZoneId).not.toBeNull();
  });

  test("of overlapping zones the higher threat level is reported", () => {
    const zones = parseZones(
      zonesResponse([
        squareFeature("alert", ORIGIN, 100),
        squareFeature("alert", ORIGIN, 50, { risk_score_max: 0.85 }),
      ]),
      zoneFetchBox(ORIGIN),
      0,
    );
    const { events } = walk([[INSIDE_ALERT, NOON]], zones);
    expect(events[0]).toMatchObject({ kind: "entered", zone: { threatLevel: "high" } });
  });
});

describe("rate limits, quiet hours and mute", () => {
  const outAndBackIn = (minutesLater: number): [readonly [number, number], number][] => [
    [INSIDE_ALERT, NOON],
    [OUTSIDE, NOON + MINUTE_MS],
    [INSIDE_ALERT, NOON + minutesLater * MINUTE_MS],
  ];

  test("at most one alert per zone per 30 minutes", () => {
    const { events } = walk(outAndBackIn(20));
    expect(notified(events)).toBe(1);
    expect(events.at(-1)).toMatchObject({
      kind: "entered",
      notify: false,
      suppressedBy: "cooldown",
    });
  });

  test("the same zone may alert again after 30 minutes", () => {
    expect(notified(walk(outAndBackIn(31)).events)).toBe(2);
  });

  test("the cooldown is per zone: another zone alerts at once", () => {
    const east = offset(ORIGIN, 2000, 0);
    const zones = parseZones(
      zonesResponse([squareFeature("alert", ORIGIN, 100), squareFeature("alert", east, 100)]),
      zoneFetchBox(ORIGIN),
      0,
    );
    const { events } = walk(
      [
        [INSIDE_ALERT, NOON],
        [OUTSIDE, NOON + MINUTE_MS],
        [east, NOON + 2 * MINUTE_MS],
      ],
      zones,
    );
    expect(notified(events)).toBe(2);
  });

  test("a daily cap stops alerts for the rest of the day, and resets the next day", () => {
    const policy = { ...DEFAULT_POLICY, dailyCap: 2, perZoneCooldownMs: 0 };
    const visits: [readonly [number, number], number][] = [];
    for (let i = 0; i < 3; i++) {
      visits.push([INSIDE_ALERT, NOON + i * HOUR_MS], [OUTSIDE, NOON + i * HOUR_MS + MINUTE_MS]);
    }
    const today = walk(visits, hotSpotZones(), policy);
    expect(notified(today.events)).toBe(2);
    expect(today.events.filter((event) => event.kind === "entered").at(-1)).toMatchObject({
      suppressedBy: "daily_cap",
    });
    const tomorrow = walk(
      [[INSIDE_ALERT, NOON + 24 * HOUR_MS]],
      hotSpotZones(),
      policy,
      today.state,
    );
    expect(notified(tomorrow.events)).toBe(1);
  });

  test("quiet hours (23:00–07:00, across midnight) keep alerts silent", () => {
    const policy = { ...DEFAULT_POLICY, quietHours: { startMinute: 23 * 60, endMinute: 7 * 60 } };
    const lateEvening = Date.parse("2025-06-30T23:30:00Z");
    const night = walk([[INSIDE_ALERT, lateEvening]], hotSpotZones(), policy);
    expect(night.events[0]).toMatchObject({ notify: false, suppressedBy: "quiet_hours" });
    const morning = Date.parse("2025-07-01T07:00:00Z");
    const day = walk([[INSIDE_ALERT, morning]], hotSpotZones(), policy);
    expect(notified(day.events)).toBe(1);
  });

  test("“Mute 1 h” silences alerts for an hour", () => {
    const muted = muteFor(INITIAL_STATE, NOON, DEFAULT_POLICY);
    const during = walk(
      [[INSIDE_ALERT, NOON + 59 * MINUTE_MS]],
      hotSpotZones(),
      DEFAULT_POLICY,
      muted,
    );
    expect(during.events[0]).toMatchObject({ notify: false, suppressedBy: "muted" });
    const after = walk([[INSIDE_ALERT, NOON + HOUR_MS]], hotSpotZones(), DEFAULT_POLICY, muted);
    expect(notified(after.events)).toBe(1);
  });

  test("a suppressed entry does not start the cooldown", () => {
    const muted = muteFor(INITIAL_STATE, NOON, DEFAULT_POLICY);
    const { events } = walk(
      [
        [INSIDE_ALERT, NOON + MINUTE_MS],
        [OUTSIDE, NOON + 2 * MINUTE_MS],
        [INSIDE_ALERT, NOON + HOUR_MS + MINUTE_MS],
      ],
      hotSpotZones(),
      DEFAULT_POLICY,
      muted,
    );
    expect(notified(events)).toBe(1);
  });
});
