-- Downgrade of 0007_ops_metrics: undo the hand-written part first (reverse order), then:
DROP FUNCTION IF EXISTS ops.metrics_facts();
