DROP TABLE finding_events;
DROP TABLE findings;
DROP TABLE inspection_runs;
