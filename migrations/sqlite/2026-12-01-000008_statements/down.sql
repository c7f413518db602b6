DROP TABLE statement_lines;
DROP TABLE statement_imports;
