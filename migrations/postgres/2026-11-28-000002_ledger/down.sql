DROP TABLE closed_periods;
DROP TABLE account_balances;
DROP TABLE journal_postings;
DROP TABLE journal_entries;
DROP TABLE ledger_heads;
DROP TABLE ledger_accounts;
DROP FUNCTION qz_refuse_change();
