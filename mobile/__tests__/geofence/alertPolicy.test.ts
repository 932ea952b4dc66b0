import { deviceLocalClock, inQuietHours } from "../../src/geofence/alertPolicy";
import { alertMessage, NOTIFICATION_CATEGORIES } from "../../src/geofence/alertMessage";

test.each([
  [22 * 60 + 59, false],
  [23 * 60, true],
  [2 * 60, true],
  [7 * 60 - 1, true],
  [7 * 60, false],
  [12 * 60, false],
])("quiet hours 23:00–07:00 at minute %i: %s", (minute, quiet) => {
  expect(inQuietHours({ startMinute: 23 * 60, endMinute: 7 * 60 }, minute)).toBe(quiet);
});

test("quiet hours within a day, and none", () => {
  const afternoon = { startMinute: 13 * 60, endMinute: 14 * 60 };
  expect(inQuietHours(afternoon, 13 * 60 + 30)).toBe(true);
  expect(inQuietHours(afternoon, 14 * 60)).toBe(false);
  expect(inQuietHours(null, 0)).toBe(false);
});

test("the device clock gives the local day and minute", () => {
  const local = new Date(2025, 5, 30, 8, 15);
  expect(deviceLocalClock(local.getTime())).toEqual({
    day: "2025-06-30",
    minuteOfDay: 8 * 60 + 15,
  });
});

test("alerts speak of a higher reported incident rate, never of danger", () => {
  for (const level of ["elevated", "high"] as const) {
    const message = alertMessage(level);
    const words = `${message.title} ${message.body}`.toLowerCase();
    expect(words).toContain("higher reported incident rate");
    expect(words).not.toMatch(/danger|unsafe|worst/);
    expect(message.categoryId).toBe(NOTIFICATION_CATEGORIES[level]);
  }
});
