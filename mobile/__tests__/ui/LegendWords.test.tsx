import { act, fireEvent, render, screen } from "@testing-library/react-native";
import { BUILT_IN_LEGEND } from "../../src/api/legend";
import { setLanguage } from "../../src/i18n/language";
import { DetailsPanel } from "../../src/ui/DetailsPanel";
import { Legend } from "../../src/ui/Legend";
import { scoreWords } from "../../src/ui/riskWords";

afterEach(() => act(() => setLanguage("en")));

const SERVER_LEGEND = {
  thresholds: { alert_enter: 0.6, alert_clear: 0.5 },
  classes: [
    {
      min: 0,
      max: 0.5,
      color: "#ffffb2",
      opacity: 0.35,
      label: { sv: "Nära snittet", en: "Near the average" },
    },
    {
      min: 0.5,
      max: 1,
      color: "#bd0026",
      opacity: 0.7,
      label: { sv: "Över snittet", en: "Above the average" },
    },
  ],
  explanation: { sv: "Serverns förklaring.", en: "The server's explanation." },
};

test("the legend shows the server's classes in the chosen language, and how old the data is", () => {
  act(() => setLanguage("sv"));
  render(
    <Legend
      windowDays={365}
      legend={SERVER_LEGEND}
      freshness={{
        newest_event_at: "2025-12-31T21:30:00+00:00",
        last_poll_ok_at: null,
        feed: "off",
        stale: true,
      }}
    />,
  );
  const legend = screen.getByTestId("legend");
  expect(legend).not.toHaveTextContent(/Serverns förklaring/);
  fireEvent.press(screen.getByTestId("legend-more"));
  expect(legend).toHaveTextContent(/Över snittet/);
  expect(legend).toHaveTextContent(/Serverns förklaring/);
  expect(legend).toHaveTextContent(/de senaste 12 månaderna/);
  expect(screen.getByTestId("data-up-to")).toHaveTextContent("Data t.o.m. 31 dec 2025");
  expect(legend).not.toHaveTextContent(/Higher|Above/);
});

test("fresh data needs no date line", () => {
  render(
    <Legend
      windowDays={365}
      legend={BUILT_IN_LEGEND}
      freshness={{
        newest_event_at: "2026-12-05T19:00:00+00:00",
        last_poll_ok_at: "2026-12-05T19:55:00+00:00",
        feed: "ok",
        stale: false,
      }}
    />,
  );
  expect(screen.queryByTestId("data-up-to")).toBeNull();
});

test("never 'not clearly above the average' beside '3.0× the city rate'", () => {
  render(
    <DetailsPanel
      hits={[
        {
          layer: "risk",
          properties: {
            risk_score: 0.3,
            relative_risk: 3.0,
            rr_lower: 0.6,
            rr_upper: 9.1,
            h3: "8a0886...",
          },
        },
      ]}
      district={null}
      districtError={null}
      sources={null}
      onClose={() => undefined}
    />,
  );
  const panel = screen.getByTestId("details-panel");
  expect(panel).toHaveTextContent(/3\.0× the city rate/);
  expect(panel).not.toHaveTextContent(/Not clearly above/);
  expect(panel).toHaveTextContent(/too few reports to be sure/);
  expect(panel).not.toHaveTextContent(/8a0886|h3|hour factor/i);
  expect(scoreWords(0.3, 1.0)).toBe("Not clearly above the city average");
});

test("the thresholds are the server's", () => {
  const strict = { thresholds: { alert_enter: 0.8, alert_clear: 0.7 } };
  expect(scoreWords(0.65, 2, strict)).not.toMatch(/^Higher/);
  expect(scoreWords(0.85, 2, strict)).toMatch(/^Higher/);
});
