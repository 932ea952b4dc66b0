"""Push messages: queue from the outbox rules in SQL, render, send through Expo, read receipts."""
