-- Downgrade of 0016_city_numbers: undo the hand-written part first (reverse order), then:
ALTER TABLE ref.cities DROP COLUMN police_number, DROP COLUMN emergency_number;
