import { render, screen } from "@testing-library/react-native";
import { Legend } from "../../src/ui/Legend";
import { scoreWords, windowWords } from "../../src/ui/riskWords";

test("the legend says what the colours mean, over the server's window", () => {
  render(<Legend windowDays={365} />);
  expect(
    screen.getByText(/Reported incident rate compared with the city average, last 12 months/),
  ).toBeTruthy();
  expect(screen.getByText("Higher reported incident rate (alert level)")).toBeTruthy();
  expect(screen.getByTestId("legend")).not.toHaveTextContent(/danger/i);
});

test.each([
  [365, "last 12 months"],
  [730, "last 2 years"],
  [28, "last 4 weeks"],
  [90, "last 90 days"],
  [null, "recent months"],
])("a window of %p days reads “%s”", (days, words) => {
  expect(windowWords(days)).toBe(words);
});

test("scores in words: a reported rate, never a verdict on a place", () => {
  const words = [0.2, 0.55, 0.7, null]
    .map((score) => scoreWords(score))
    .join(" ")
    .toLowerCase();
  expect(words).toContain("higher reported incident rate");
  expect(words).not.toMatch(/danger|unsafe|worst|avoid/);
});

test("each swatch is as opaque as the map draws its hexagons", () => {
  render(<Legend windowDays={365} />);
  const alert = screen.getByTestId("legend-swatch-#e31a1c");
  expect(alert).toHaveStyle({ backgroundColor: "#e31a1c", opacity: 0.7 });
});
