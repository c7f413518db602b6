DROP TABLE audit_log;
DROP TABLE audit_heads;
DROP TABLE api_tokens;
DROP TABLE users;
