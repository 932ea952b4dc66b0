import { act, fireEvent, render, screen } from "@testing-library/react-native";
import { Linking } from "react-native";
import type { City } from "../../src/api/cities";
import { CurrentCityContext } from "../../src/app/useCityAt";
import { setLanguage } from "../../src/i18n/language";
import type { Language } from "../../src/i18n/strings";
import { EmergencyNote } from "../../src/ui/EmergencyNote";
import { displayNumber, telUrl } from "../../src/ui/emergencyWords";
import { STOCKHOLM_CITY, VANCOUVER_CITY } from "../support/citiesFixture";

const NBSP = "\u00a0";

function renderNote(language: Language, city: City | null) {
  act(() => setLanguage(language));
  render(
    <CurrentCityContext.Provider value={city}>
      <EmergencyNote />
    </CurrentCityContext.Provider>,
  );
}

const sentence = () => screen.getByTestId("emergency-text");
/** Compare the text as it is: the default normalizer would turn non-breaking spaces into spaces. */
const VERBATIM = { normalizer: (text: string) => text };

afterEach(() => {
  act(() => setLanguage("en"));
  jest.restoreAllMocks();
});

const CASES: [Language, string, string, string[], City | null][] = [
  [
    "en",
    "Stockholm",
    `In an emergency call 112. To reach the police otherwise: 114${NBSP}14.`,
    ["Call 112", `Call 114${NBSP}14`],
    STOCKHOLM_CITY,
  ],
  [
    "sv",
    "Stockholm",
    `Vid nödsituation, ring 112. För att nå polisen i andra fall: 114${NBSP}14.`,
    ["Ring 112", `Ring 114${NBSP}14`],
    STOCKHOLM_CITY,
  ],
  [
    "en",
    "Vancouver",
    "In an emergency call 911. To reach the police otherwise: 604-717-3321.",
    ["Call 911", "Call 604-717-3321"],
    VANCOUVER_CITY,
  ],
  [
    "sv",
    "Vancouver",
    "Vid nödsituation, ring 911. För att nå polisen i andra fall: 604-717-3321.",
    ["Ring 911", "Ring 604-717-3321"],
    VANCOUVER_CITY,
  ],
  ["en", "no city", "In an emergency call 112.", ["Call 112"], null],
  ["sv", "no city", "Vid nödsituation, ring 112.", ["Ring 112"], null],
];

test.each(CASES)("%s, %s: the note reads %j", (language, _name, text, labels, city) => {
  renderNote(language, city);
  expect(sentence()).toHaveTextContent(text, VERBATIM);
  const links = screen.getAllByRole("link");
  expect(links).toHaveLength(labels.length);
  labels.forEach((label, i) => expect(links[i]).toHaveTextContent(label, VERBATIM));
});

test("a city without a police number gets the emergency sentence and one link", () => {
  renderNote("en", { ...VANCOUVER_CITY, police_number: null });
  expect(sentence()).toHaveTextContent("In an emergency call 911.");
  expect(screen.getAllByRole("link")).toHaveLength(1);
});

test("a city without an emergency number of its own gets 112 beside its police line", () => {
  renderNote("sv", { ...STOCKHOLM_CITY, emergency_number: null });
  expect(sentence()).toHaveTextContent(
    `Vid nödsituation, ring 112. För att nå polisen i andra fall: 114${NBSP}14.`,
    VERBATIM,
  );
});

test.each<[string, string[], City | null]>([
  ["Stockholm", ["tel:112", "tel:11414"], STOCKHOLM_CITY],
  ["Vancouver", ["tel:911", "tel:6047173321"], VANCOUVER_CITY],
  ["no city", ["tel:112"], null],
])("%s: the links dial %j", (_name, urls, city) => {
  const open = jest.spyOn(Linking, "openURL").mockResolvedValue(true);
  open.mockClear();
  renderNote("en", city);
  for (const link of screen.getAllByRole("link")) fireEvent.press(link);
  expect(open.mock.calls.map(([url]) => url)).toEqual(urls);
});

test("the dialled number keeps the digits and a leading +; the shown one never breaks", () => {
  expect(telUrl("+46 8 401 00 00")).toBe("tel:+4684010000");
  expect(telUrl("604-717-3321")).toBe("tel:6047173321");
  expect(displayNumber("+46 8 401 00 00")).toBe(`+46${NBSP}8${NBSP}401${NBSP}00${NBSP}00`);
  expect(displayNumber("114 14")).not.toMatch(/ /);
});
