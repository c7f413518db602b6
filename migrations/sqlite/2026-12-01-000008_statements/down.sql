DROP INDEX bank_transactions_account_paid;
DROP TABLE statement_matches;
DROP TABLE statement_lines;
DROP TABLE statement_imports;
