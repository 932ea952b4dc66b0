import { render, screen } from "@testing-library/react-native";
import { StatusPill } from "../../src/ui/StatusPill";
import type { OutboxStatus } from "../../src/outbox/statusText";

const status = (overrides: Partial<OutboxStatus>): OutboxStatus => ({
  online: true,
  queued: 0,
  syncing: null,
  sent: 0,
  rejected: 0,
  ...overrides,
});

test.each([
  [{ online: false, queued: 1 }, "Offline • 1 queued"],
  [{ online: false, queued: 0 }, "Offline"],
  [{ queued: 3, syncing: { index: 2, total: 3 } }, "Syncing 2/3"],
  [{ queued: 1 }, "Waiting to send • 1 queued"],
  [{ sent: 2 }, "All sent"],
  [{ sent: 1, rejected: 1 }, "1 not accepted"],
])("the pill reads %j as “%s”", (overrides, text) => {
  render(<StatusPill status={status(overrides)} />);
  expect(screen.getByTestId("status-pill")).toHaveTextContent(text);
});

test("no pill before any report", () => {
  render(<StatusPill status={status({})} />);
  expect(screen.queryByTestId("status-pill")).toBeNull();
});
