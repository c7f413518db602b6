-- Orders placed with a gateway (WeChat Native, Alipay precreate) for a bill, so that an order
-- whose notification never comes is queried until it is paid or closed (DESIGN.md §6).
CREATE TABLE gateway_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    binding_id BIGINT NOT NULL REFERENCES provider_bindings(id),
    bill_id BIGINT NOT NULL REFERENCES bills(id),
    provider TEXT NOT NULL,
    -- Carries the bill reference, so a payment is matched however it is learnt.
    out_trade_no TEXT NOT NULL UNIQUE,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    -- The gateway's code text; NULL until the gateway answered.
    code_url TEXT,
    status TEXT NOT NULL CHECK (status IN ('creating', 'pending', 'paid', 'closed', 'failed')),
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    queries INTEGER NOT NULL DEFAULT 0,
    next_query_at TIMESTAMP NOT NULL,
    bank_transaction_id BIGINT REFERENCES bank_transactions(id)
);
CREATE INDEX gateway_orders_due ON gateway_orders(status, next_query_at);
CREATE INDEX gateway_orders_bill ON gateway_orders(bill_id, binding_id);
-- Where an inbox row came from: the provider's notification, or our query of an order (whose
-- signed answer is the evidence).
ALTER TABLE callback_inbox ADD COLUMN source TEXT NOT NULL DEFAULT 'callback';
