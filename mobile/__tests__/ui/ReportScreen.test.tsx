import { act, fireEvent, render, screen, waitFor } from "@testing-library/react-native";
import type { ReportDraft } from "../../src/reports/reportDraft";
import { ReportScreen } from "../../src/ui/ReportScreen";

// The map is native (MapLibre); here it is a stand-in that "moves" when asked.
jest.mock("../../src/map/Map", () => {
  const { Pressable, Text } = jest.requireActual("react-native");
  return {
    RiskMap: (props: { onCenterChange?: (center: [number, number]) => void }) => (
      <Pressable testID="fake-map" onPress={() => props.onCenterChange?.([18.07, 59.335])}>
        <Text>map</Text>
      </Pressable>
    ),
  };
});
jest.mock("../../src/app/services", () => ({
  services: () => ({ mapApi: { styleUrl: "http://halo.test/style.json" } }),
}));

function renderScreen(onSubmit = jest.fn(async (_draft: ReportDraft) => undefined)) {
  render(
    <ReportScreen
      initialPosition={[18.062, 59.331]}
      userPosition={[18.062, 59.331]}
      duringAlert
      onSubmit={onSubmit}
      onCancel={() => undefined}
    />,
  );
  return onSubmit;
}

test("a report needs a category", async () => {
  const onSubmit = renderScreen();
  fireEvent.press(screen.getByTestId("send-report"));
  expect(await screen.findByText("Choose a category.")).toBeTruthy();
  expect(onSubmit).not.toHaveBeenCalled();
});

test("the report carries the category, the time, the adjusted position and the text", async () => {
  const onSubmit = renderScreen();
  fireEvent.press(screen.getByTestId("category-theft"));
  fireEvent.press(screen.getByText("1 h ago"));
  fireEvent.press(screen.getByTestId("fake-map"));
  fireEvent.changeText(screen.getByTestId("report-text"), "  Bike taken from the rack  ");
  const before = Date.now();
  fireEvent.press(screen.getByTestId("send-report"));
  await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
  const draft = onSubmit.mock.calls[0]![0];
  expect(draft).toMatchObject({
    category: "theft",
    lon: 18.07,
    lat: 59.335,
    text: "Bike taken from the rack",
    photo: null,
    duringAlert: true,
  });
  const minutesAgo = (before - Date.parse(draft.occurredAt)) / 60_000;
  expect(minutesAgo).toBeGreaterThan(59);
  expect(minutesAgo).toBeLessThan(61);
  expect(screen.getByTestId("report-position")).toHaveTextContent("59.33500, 18.07000");
});

test("the report screen says the report awaits moderation, in Swedish too", () => {
  const { setLanguage } = jest.requireActual("../../src/i18n/language");
  renderScreen();
  expect(screen.getByTestId("report-moderation")).toHaveTextContent(
    /moderator checks every report/,
  );
  act(() => setLanguage("sv"));
  expect(screen.getByTestId("report-moderation")).toHaveTextContent(/En moderator granskar/);
  expect(screen.getByText("Skicka rapport")).toBeTruthy();
  act(() => setLanguage("en"));
});
