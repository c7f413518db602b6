DROP TABLE suspense_placements;
