DROP TABLE disbursements;
