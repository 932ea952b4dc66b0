import { render, screen } from "@testing-library/react-native";
import type { NeighborhoodDetails } from "../../src/api/types";
import { DetailsPanel } from "../../src/ui/DetailsPanel";

const district: NeighborhoodDetails = {
  id: 7,
  name: "Västra",
  area_km2: 3.7,
  bbox: [18.05, 59.32, 18.08, 59.34],
  generation: 4,
  as_of: "2025-06-30T12:00:00+00:00",
  window_days: 365,
  risk_score: 0.62,
  relative_risk: 1.9,
  rr_lower: 1.6,
  rr_upper: 2.3,
  observed: 500,
  expected: 260,
  evidence: "point",
  trend: 1.05,
  incidents: 512,
  incidents_by_category: [
    { category: "violent", label_en: "Violence", label_sv: "Våld", count: 300 },
    { category: "fire", label_en: "Fire", label_sv: "Brand", count: 0 },
  ],
  cells_by_evidence: { point: 12, inferred: 30, none: 4 },
};

test("a tap shows the cell from its tile and the district with evidence and sources", () => {
  render(
    <DetailsPanel
      hits={[
        {
          layer: "risk",
          properties: {
            risk_score: 0.65,
            relative_risk: 2.1,
            rr_lower: 1.6,
            rr_upper: 2.8,
            evidence: "inferred",
          },
        },
      ]}
      district={district}
      districtError={null}
      sources="Data: Swedish Police Authority public information"
      onClose={() => undefined}
    />,
  );
  const panel = screen.getByTestId("details-panel");
  expect(panel).toHaveTextContent(/2\.1× the city rate \(likely 1\.6×–2\.8×\)/);
  expect(panel).toHaveTextContent(
    /Evidence: inferred: spread from incidents known only to the district/,
  );
  expect(panel).toHaveTextContent(/512 reported incidents, last 12 months/);
  expect(panel).toHaveTextContent(/Violence: 300/);
  expect(panel).not.toHaveTextContent(/Fire: 0/);
  expect(panel).toHaveTextContent(/12 exactly located, 30 inferred, 4 without incidents/);
  expect(panel).toHaveTextContent(/Sources: Data: Swedish Police Authority/);
});
