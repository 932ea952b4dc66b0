import { act, fireEvent, render, screen } from "@testing-library/react-native";
import { Linking } from "react-native";
import { setLanguage } from "../../src/i18n/language";
import { IncidentList } from "../../src/ui/IncidentList";
import {
  ASSAULT_IN_A_DISTRICT,
  NOW,
  ROBBERY_AT_A_PLACE,
  THEFT_AT_A_POINT,
} from "../support/incidentsFixture";

const ITEMS = [ASSAULT_IN_A_DISTRICT, ROBBERY_AT_A_PLACE, THEFT_AT_A_POINT];

function renderList(onSelect = jest.fn(), onShare = jest.fn()) {
  render(
    <IncidentList
      state={{ kind: "ready", items: ITEMS }}
      selectedId={null}
      nowMs={NOW}
      onSelect={onSelect}
      onShare={onShare}
      onRetry={() => undefined}
    />,
  );
  return { onSelect, onShare };
}

afterEach(() => act(() => setLanguage("en")));

test("each event shows when, the API's label and the source's type, text, where and how precisely", () => {
  act(() => setLanguage("en"));
  renderList();
  const robbery = screen.getByTestId("incident-501");
  expect(robbery).toHaveTextContent(/Robbery · Rån/);
  expect(robbery).toHaveTextContent(/Rån, Sergels torg/);
  expect(robbery).toHaveTextContent(/Sergels torg – somewhere in this area/);
  expect(screen.getByTestId("incident-501-when")).toHaveTextContent("2 h ago");
  expect(screen.getByTestId("incident-502")).toHaveTextContent(
    /Södermalm – somewhere in this district/,
  );
  expect(screen.getByTestId("incident-400")).toHaveTextContent(/exact place/);
  expect(screen.getByTestId("incident-400-when")).toHaveTextContent("3 days ago");
  // The order given (newest first) is kept.
  const ids = screen.getAllByTestId(/^incident-\d+$/).map((node) => node.props.testID);
  expect(ids).toEqual(["incident-502", "incident-501", "incident-400"]);
  // No city around the list here: 112 alone (the city's numbers: EmergencyNote.test.tsx).
  expect(screen.getByTestId("emergency-note")).toHaveTextContent(/^In an emergency call 112\./);
});

test("in Swedish: the API's Swedish label and Swedish times", () => {
  act(() => setLanguage("sv"));
  renderList();
  expect(screen.getByTestId("incident-502")).toHaveTextContent(/Våld · Misshandel/);
  expect(screen.getByTestId("incident-501-when")).toHaveTextContent("för 2 tim sedan");
  expect(screen.getByTestId("incident-502")).toHaveTextContent(/någonstans i den här stadsdelen/);
  expect(screen.getByTestId("incident-list")).toHaveTextContent(/Senaste händelser/);
});

test("tapping an event selects it; the source link opens the source page; share shares it", () => {
  const open = jest.spyOn(Linking, "openURL").mockResolvedValue(true);
  const { onSelect, onShare } = renderList();
  fireEvent.press(screen.getByTestId("incident-502"));
  expect(onSelect).toHaveBeenCalledWith(ASSAULT_IN_A_DISTRICT);
  fireEvent.press(screen.getByTestId("incident-501-source"));
  expect(open).toHaveBeenCalledWith(ROBBERY_AT_A_PLACE.url);
  fireEvent.press(screen.getAllByText("Share")[0]!);
  expect(onShare).toHaveBeenCalledWith(ASSAULT_IN_A_DISTRICT);
});

test("a server without the incidents endpoint is named, not shown as an empty list", () => {
  render(
    <IncidentList
      state={{ kind: "unavailable" }}
      selectedId={null}
      nowMs={NOW}
      onSelect={jest.fn()}
      onShare={jest.fn()}
      onRetry={jest.fn()}
    />,
  );
  expect(screen.getByTestId("incidents-unavailable")).toBeTruthy();
});
