"""HTTP middleware: hardening headers, request context, and their installation on the app
(api.middleware.install, kept out of this package's import so the fast paths can import the
hardening constants without importing themselves)."""
