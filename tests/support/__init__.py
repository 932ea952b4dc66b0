"""What the tests share: scratch databases, live servers, seeded cities, fakes of services."""
