-- Downgrade of 0007_push: the push schema with its devices, subscriptions, outbox and functions.
DROP SCHEMA IF EXISTS push CASCADE;
