//! Payments: pure rules for turning a verified bank credit into books and receipts.
//!
//! Which bill a credit pays (the reference it carried), how its amount splits between the bill
//! and the suspense account, receipt verification codes, and the sealing of provider secrets.
//! No I/O: the callback use case puts these together with the store in one transaction.

pub mod allocation;
pub mod consistency;
pub mod intake;
pub mod qr;
pub mod receipt_code;
pub mod sealing;
