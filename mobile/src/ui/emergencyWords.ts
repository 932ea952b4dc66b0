/**
 * The emergency note's sentence and tap-to-call links for a city: its own emergency and police
 * numbers, or 112 alone when no city is known.
 */
import type { City } from "../api/cities";
import type { Strings } from "../i18n/strings";

/** The GSM emergency number: phones route it to the local emergency service almost everywhere. */
export const GSM_EMERGENCY_NUMBER = "112";

export interface EmergencyCall {
  label: string;
  url: string;
}

export interface EmergencyWords {
  text: string;
  calls: EmergencyCall[];
}

/** "tel:" and the digits (and a leading +): "604-717-3321" dials as tel:6047173321. */
export function telUrl(number: string): string {
  return `tel:${number.replace(/[^0-9+]/g, "")}`;
}

/** Non-breaking spaces, so "114 14" never breaks across two lines. */
export function displayNumber(number: string): string {
  return number.replace(/ /g, "\u00a0");
}

/**
 * A city without an emergency number of its own gets 112 (with its police number, if any);
 * no city at all gets the 112 sentence alone.
 */
export function emergencyWords(t: Strings, city: City | null): EmergencyWords {
  const emergency = city?.emergency_number ?? GSM_EMERGENCY_NUMBER;
  const police = city?.police_number ?? null;
  const call = (number: string): EmergencyCall => ({
    label: t.callNumber(displayNumber(number)),
    url: telUrl(number),
  });
  if (police === null) {
    return { text: t.emergencyOnly(displayNumber(emergency)), calls: [call(emergency)] };
  }
  return {
    text: t.emergencyAndPolice(displayNumber(emergency), displayNumber(police)),
    calls: [call(emergency), call(police)],
  };
}
