import { DEFAULT_API_URL, normaliseApiUrl, resolveApiBaseUrl } from "../../src/config/apiBaseUrl";

test("make run's server is the default", () => {
  expect(resolveApiBaseUrl({})).toBe("http://127.0.0.1:8000");
  expect(DEFAULT_API_URL).toBe("http://127.0.0.1:8000");
});

test("the web build's ?api= wins, then window.HALO_API_URL, then the build's setting", () => {
  const all = {
    search: "?api=http%3A%2F%2F127.0.0.1%3A8765",
    globalUrl: "http://127.0.0.1:9000",
    buildUrl: "https://halo.example.org",
    configUrl: "https://other.example.org",
  };
  expect(resolveApiBaseUrl(all)).toBe("http://127.0.0.1:8765");
  expect(resolveApiBaseUrl({ ...all, search: "" })).toBe("http://127.0.0.1:9000");
  expect(resolveApiBaseUrl({ ...all, search: null, globalUrl: undefined })).toBe(
    "https://halo.example.org",
  );
  expect(resolveApiBaseUrl({ configUrl: "https://other.example.org/" })).toBe(
    "https://other.example.org",
  );
});

test("anything but an http(s) URL is ignored", () => {
  expect(normaliseApiUrl("javascript:alert(1)")).toBeNull();
  expect(normaliseApiUrl("ftp://x")).toBeNull();
  expect(normaliseApiUrl(42)).toBeNull();
  expect(normaliseApiUrl(" https://halo.example.org/api/ ")).toBe("https://halo.example.org/api");
});
