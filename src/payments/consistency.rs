//! What a village's receipts promise, checked against its money: each bill's paid amount equals
//! its valid receipts and what was posted to it; every valid receipt rests on a bank credit or a
//! cash record of its own bill, used once; 101 holds exactly the cash on hand plus the pay-ins on
//! their way; no entry that money rests on was reversed behind its record's back; each provider
//! transaction was applied once.
//!
//! Pure: the store hands over one village's records ([`VillageBooks`]) and this says where they
//! disagree, in the order a person should look (bills first). `qingzhang verify` reports it.

use std::collections::{HashMap, HashSet};

use crate::domain::{
    BankTransactionId, BillId, BillStatus, CashRecordId, CashStatus, EntryId, Money, PayInId, PayInStatus,
    ReceiptStatus,
};

#[derive(Debug, Clone)]
pub struct BillFact {
    pub id: BillId,
    /// As printed, `000001-000004-8`.
    pub reference: String,
    pub amount: Money,
    pub paid: Money,
    pub status: BillStatus,
}

#[derive(Debug, Clone)]
pub struct ReceiptFact {
    /// As printed, `370725102201-2026-000042`.
    pub number: String,
    pub bill_id: Option<BillId>,
    pub amount: Money,
    pub status: ReceiptStatus,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub cash_record_id: Option<CashRecordId>,
}

#[derive(Debug, Clone)]
pub struct CashFact {
    pub id: CashRecordId,
    pub bill_id: BillId,
    pub amount: Money,
    pub status: CashStatus,
    pub entry_id: EntryId,
    pub pay_in_id: Option<PayInId>,
}

#[derive(Debug, Clone)]
pub struct PayInFact {
    pub id: PayInId,
    pub amount: Money,
    pub status: PayInStatus,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub entry_id: Option<EntryId>,
}

/// A bank credit applied to the village, with what its entry credited to income (the part that
/// paid a bill; the rest waits in suspense).
#[derive(Debug, Clone)]
pub struct CreditFact {
    pub id: BankTransactionId,
    pub provider_txn_id: String,
    pub bill_id: Option<BillId>,
    pub amount: Money,
    pub to_bill: Money,
    pub entry_id: EntryId,
    /// The entry of its placement in force, for a credit placed from suspense onto a bill.
    pub placement_entry_id: Option<EntryId>,
    /// How many inbox rows say this credit was applied.
    pub applied_rows: i64,
}

/// One village's money records, as the store reads them in a few set-oriented queries.
#[derive(Debug, Clone, Default)]
pub struct VillageBooks {
    pub bills: Vec<BillFact>,
    pub receipts: Vec<ReceiptFact>,
    pub cash: Vec<CashFact>,
    pub pay_ins: Vec<PayInFact>,
    pub credits: Vec<CreditFact>,
    /// Entries that a later entry reverses, each with the reversal's id.
    pub reversed: HashMap<EntryId, EntryId>,
    /// Cash records' reversal entries (a void of cash still on hand), by record.
    pub cash_reversals: HashMap<CashRecordId, EntryId>,
    /// The balance of 101 and its sub-accounts, debit-positive.
    pub ledger_cash: Money,
    /// Every placement of a credit from suspense, in force or undone.
    pub placements: Vec<PlacementFact>,
    /// Every refund of a credit's part in suspense, rejected ones too.
    pub refunds: Vec<RefundFact>,
    /// Every transfer of a credit's part in suspense to the account it belongs to.
    pub transfers: Vec<TransferFact>,
    /// Disbursements booked to 211.9999 that no refund row ties to a credit.
    pub untied_suspense_disbursements: Vec<i64>,
    /// What 211.9999 holds, credit-positive.
    pub suspense_held: Money,
    /// The part of it that hand entries moved (credit-positive): entries made by hand, and their
    /// reversals, before hand entries on 211.9999 were refused. They name no credit.
    pub suspense_by_hand: Money,
    /// Those hand entries still in force, by their number in the journal.
    pub suspense_hand_entries: Vec<i64>,
    /// The providers' clearing accounts (112.990x) the village has used.
    pub clearing: Vec<ClearingFact>,
}

/// A provider's clearing account (待结算) of a village, debit-positive: it holds the payments
/// the provider has not yet settled, and what a settlement left there by not adding up.
#[derive(Debug, Clone)]
pub struct ClearingFact {
    pub code: String,
    /// What its postings say it holds.
    pub held: Money,
    /// The part hand entries (and their reversals) moved: an accountant writing off what a
    /// short settlement left behind.
    pub by_hand: Money,
    /// The hand entries still in force that took money out, by their number in the journal.
    pub hand_entries: Vec<i64>,
    /// Every payment the provider's bindings put into clearing.
    pub paid_in: Money,
    /// What settlements took out: each settlement's amount and fee.
    pub settled_out: Money,
    /// What the settlements that paid short left behind (each one's days less their fee, less
    /// what it paid): all that hand entries may write off.
    pub left_short: Money,
}

impl ClearingFact {
    /// What hand entries (and their reversals) took out, net.
    pub fn written_off(&self) -> Money {
        -self.by_hand
    }
}

/// A refund of a credit's part in suspense, with its disbursement.
#[derive(Debug, Clone)]
pub struct RefundFact {
    pub credit: BankTransactionId,
    pub disbursement_id: i64,
    pub amount: Money,
    /// The disbursement's amount, and whether it books to 211.9999.
    pub disbursed: Money,
    pub books_to_suspense: bool,
    /// Not rejected: the credit's suspense part is spoken for.
    pub active: bool,
    /// The bank paid it (posted out of 211.9999).
    pub paid: bool,
}

/// A transfer of a credit's part in suspense to the account it belongs to (查明转出).
#[derive(Debug, Clone)]
pub struct TransferFact {
    pub credit: BankTransactionId,
    pub amount: Money,
    pub entry_id: EntryId,
    /// What its entry debited 211.9999.
    pub debited: Money,
}

/// A placement of a credit from suspense onto a bill.
#[derive(Debug, Clone)]
pub struct PlacementFact {
    pub credit: BankTransactionId,
    pub entry_id: EntryId,
    /// The reversal entry its undo recorded; none while it is in force.
    pub undone_by: Option<EntryId>,
}

/// Where the records disagree; names the bill (or receipt) to look at first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub bill: Option<String>,
    pub what: String,
}

/// What the credits still have waiting in 211.9999, from the records that took parts out.
fn waiting_in_suspense(b: &VillageBooks) -> Money {
    let mut taken: HashMap<BankTransactionId, Money> = HashMap::new();
    let deposits = b
        .pay_ins
        .iter()
        .filter(|p| p.entry_id.is_some())
        .filter_map(|p| p.bank_transaction_id.map(|c| (c, p.amount)));
    let refunds = b.refunds.iter().filter(|r| r.paid).map(|r| (r.credit, r.amount));
    let transfers = b.transfers.iter().map(|t| (t.credit, t.amount));
    for (credit, amount) in deposits.chain(refunds).chain(transfers) {
        *taken.entry(credit).or_default() += amount;
    }
    b.credits
        .iter()
        .filter(|c| !b.reversed.contains_key(&c.entry_id))
        .map(|c| c.amount - c.to_bill - taken.get(&c.id).copied().unwrap_or_default())
        .sum()
}

fn at(bill: Option<&str>, what: String) -> Disagreement {
    Disagreement {
        bill: bill.map(str::to_string),
        what,
    }
}

/// Every disagreement, bills first.
pub fn check(b: &VillageBooks) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let reference: HashMap<BillId, &str> = b.bills.iter().map(|x| (x.id, x.reference.as_str())).collect();
    let name = |id: Option<BillId>| id.and_then(|i| reference.get(&i).copied());

    // Money posted to each bill: cash not voided, and each credit's part that paid it.
    let mut posted: HashMap<BillId, Money> = HashMap::new();
    for c in b.cash.iter().filter(|c| c.status != CashStatus::Voided) {
        *posted.entry(c.bill_id).or_default() += c.amount;
    }
    for c in &b.credits {
        match c.bill_id {
            Some(bill) => *posted.entry(bill).or_default() += c.to_bill,
            None if c.to_bill > Money::ZERO => out.push(at(
                None,
                format!(
                    "银行入账 {} 有 {} 记入收入，却没有对应账单",
                    c.provider_txn_id, c.to_bill
                ),
            )),
            None => {}
        }
    }
    let mut receipted: HashMap<BillId, Money> = HashMap::new();
    for r in b.receipts.iter().filter(|r| r.status == ReceiptStatus::Issued) {
        if let Some(bill) = r.bill_id {
            *receipted.entry(bill).or_default() += r.amount;
        }
    }
    for bill in &b.bills {
        let r = receipted.get(&bill.id).copied().unwrap_or_default();
        let p = posted.get(&bill.id).copied().unwrap_or_default();
        let here = Some(bill.reference.as_str());
        if bill.paid > bill.amount {
            out.push(at(
                here,
                format!("账单 {} 应缴 {}，却记为已缴 {}", bill.reference, bill.amount, bill.paid),
            ));
        }
        if r != bill.paid || p != bill.paid {
            out.push(at(
                here,
                format!(
                    "账单 {}：记为已缴 {}，有效收据合计 {}，入账合计 {}",
                    bill.reference, bill.paid, r, p
                ),
            ));
        }
        let expected = match bill.status {
            BillStatus::Cancelled if bill.paid.is_zero() => BillStatus::Cancelled,
            _ => BillStatus::from_paid(bill.paid, bill.amount),
        };
        if bill.status != expected {
            out.push(at(
                here,
                format!(
                    "账单 {} 状态为“{}”，按已缴 {}（应缴 {}）应为“{}”",
                    bill.reference,
                    bill.status.label(),
                    bill.paid,
                    bill.amount,
                    expected.label()
                ),
            ));
        }
    }

    // Each valid receipt rests on money of its own bill, and each piece of money carries at most
    // one valid receipt (a reissue voids the one it replaces).
    let credits: HashMap<BankTransactionId, &CreditFact> = b.credits.iter().map(|c| (c.id, c)).collect();
    let cash: HashMap<CashRecordId, &CashFact> = b.cash.iter().map(|c| (c.id, c)).collect();
    let mut on_credit: HashMap<BankTransactionId, usize> = HashMap::new();
    let mut on_cash: HashMap<CashRecordId, usize> = HashMap::new();
    for r in b.receipts.iter().filter(|r| r.status == ReceiptStatus::Issued) {
        let here = name(r.bill_id);
        match (r.bank_transaction_id, r.cash_record_id) {
            (Some(t), _) => {
                *on_credit.entry(t).or_default() += 1;
                match credits.get(&t) {
                    Some(c) if c.bill_id == r.bill_id && r.amount <= c.to_bill => {}
                    Some(c) => out.push(at(
                        here,
                        format!(
                            "收据 {}（{}）与它依据的银行入账 {}（记入账单 {}）不符",
                            r.number, r.amount, c.provider_txn_id, c.to_bill
                        ),
                    )),
                    None => out.push(at(here, format!("收据 {} 依据的银行入账不存在", r.number))),
                }
            }
            (None, Some(id)) => {
                *on_cash.entry(id).or_default() += 1;
                match cash.get(&id) {
                    Some(c)
                        if Some(c.bill_id) == r.bill_id && c.amount == r.amount && c.status != CashStatus::Voided => {}
                    Some(c) => out.push(at(
                        here,
                        format!(
                            "收据 {}（{}）与它依据的现金记录 {}（{}，{}）不符",
                            r.number,
                            r.amount,
                            c.id,
                            c.amount,
                            c.status.label()
                        ),
                    )),
                    None => out.push(at(here, format!("收据 {} 依据的现金记录不存在", r.number))),
                }
            }
            (None, None) => out.push(at(here, format!("收据 {} 有效，却没有款项依据", r.number))),
        }
    }
    for c in &b.credits {
        let n = on_credit.get(&c.id).copied().unwrap_or(0);
        let expected = usize::from(c.to_bill > Money::ZERO);
        if n != expected {
            out.push(at(
                name(c.bill_id),
                format!("银行入账 {} 应有 {expected} 张有效收据，实有 {n} 张", c.provider_txn_id),
            ));
        }
        if c.applied_rows > 1 {
            out.push(at(
                name(c.bill_id),
                format!("银行入账 {} 入账了 {} 次", c.provider_txn_id, c.applied_rows),
            ));
        }
    }
    for c in &b.cash {
        let n = on_cash.get(&c.id).copied().unwrap_or(0);
        let expected = usize::from(c.status != CashStatus::Voided);
        if n != expected {
            out.push(at(
                name(Some(c.bill_id)),
                format!(
                    "现金记录 {}（{}）应有 {expected} 张有效收据，实有 {n} 张",
                    c.id,
                    c.status.label()
                ),
            ));
        }
    }

    // 101: cash on hand plus pay-ins on their way, nothing else.
    let on_hand: Money = b
        .cash
        .iter()
        .filter(|c| c.status == CashStatus::OnHand)
        .map(|c| c.amount)
        .sum();
    let on_way: Money = b
        .pay_ins
        .iter()
        .filter(|p| p.status == PayInStatus::Declared)
        .map(|p| p.amount)
        .sum();
    if b.ledger_cash != on_hand + on_way {
        out.push(at(
            None,
            format!(
                "库存现金科目（101）余额 {}，而报账员库存 {} 加代交在途 {} 共 {}",
                b.ledger_cash,
                on_hand,
                on_way,
                on_hand + on_way
            ),
        ));
    }
    for p in &b.pay_ins {
        let covered: Vec<&CashFact> = b.cash.iter().filter(|c| c.pay_in_id == Some(p.id)).collect();
        let sum: Money = covered.iter().map(|c| c.amount).sum();
        if sum != p.amount || covered.iter().any(|c| c.status != CashStatus::PaidIn) {
            out.push(at(
                None,
                format!("代交 {}（{}）与它包含的现金记录合计 {} 不符", p.id, p.amount, sum),
            ));
        }
        if (p.status == PayInStatus::Matched) != (p.bank_transaction_id.is_some() && p.entry_id.is_some()) {
            out.push(at(
                None,
                format!("代交 {} 状态为“{}”，与到账记录不符", p.id, p.status.label()),
            ));
        }
    }

    // Placements: at most one in force per credit, and an undone one's entry reversed by the
    // very entry its undo recorded.
    let mut in_force: HashMap<BankTransactionId, usize> = HashMap::new();
    for p in &b.placements {
        match p.undone_by {
            None => *in_force.entry(p.credit).or_default() += 1,
            Some(reversal) if b.reversed.get(&p.entry_id) != Some(&reversal) => out.push(at(
                None,
                format!(
                    "银行入账 {} 的认领已撤销，但认领凭证没有被撤销记录的冲销凭证冲销",
                    p.credit.get()
                ),
            )),
            Some(_) => {}
        }
    }
    let mut doubled: Vec<_> = in_force.into_iter().filter(|(_, n)| *n > 1).collect();
    doubled.sort_unstable();
    for (credit, n) in doubled {
        out.push(at(None, format!("银行入账 {} 同时有 {n} 个在用的认领", credit.get())));
    }

    // Refunds: at most one active per credit, of exactly the credit's part in suspense, booked
    // to 211.9999, and never of a credit also placed onto a bill or matched to a pay-in; and
    // nothing else is paid out of 211.9999.
    let deposits: HashSet<BankTransactionId> = b.pay_ins.iter().filter_map(|p| p.bank_transaction_id).collect();
    let mut refunding: HashMap<BankTransactionId, usize> = HashMap::new();
    for r in &b.refunds {
        let credit = r.credit.get();
        if !r.books_to_suspense || r.disbursed != r.amount {
            out.push(at(
                None,
                format!(
                    "银行入账 {credit} 的退款（支出申请 {}）没有按退款金额 {} 记入待查明款项",
                    r.disbursement_id, r.amount
                ),
            ));
        }
        if !r.active {
            continue;
        }
        *refunding.entry(r.credit).or_default() += 1;
        match credits.get(&r.credit) {
            None => out.push(at(
                None,
                format!("退款（支出申请 {}）依据的银行入账不存在", r.disbursement_id),
            )),
            Some(c) => {
                if c.placement_entry_id.is_some() {
                    out.push(at(
                        name(c.bill_id),
                        format!("银行入账 {credit} 既已认领到账单，又在退款"),
                    ));
                } else if r.amount != c.amount - c.to_bill {
                    out.push(at(
                        name(c.bill_id),
                        format!(
                            "银行入账 {credit} 的退款 {} 不等于它的待查明部分 {}",
                            r.amount,
                            c.amount - c.to_bill
                        ),
                    ));
                }
            }
        }
        if deposits.contains(&r.credit) {
            out.push(at(None, format!("银行入账 {credit} 既是报账员的代交，又在退款")));
        }
    }
    // Transfers: of exactly the credit's part in suspense, taken out of 211.9999 by an entry
    // still in force, and never beside a placement, a pay-in or an active refund of the credit.
    for t in &b.transfers {
        let credit = t.credit.get();
        match credits.get(&t.credit) {
            None => out.push(at(None, format!("查明转出依据的银行入账 {credit} 不存在"))),
            Some(c) => {
                let part = c.amount - c.to_bill;
                if c.placement_entry_id.is_some() {
                    out.push(at(
                        name(c.bill_id),
                        format!("银行入账 {credit} 既已认领到账单，又已查明转出"),
                    ));
                } else if t.amount != part {
                    out.push(at(
                        name(c.bill_id),
                        format!("银行入账 {credit} 查明转出 {}，不等于它的待查明部分 {part}", t.amount),
                    ));
                }
            }
        }
        if t.debited != t.amount {
            out.push(at(
                None,
                format!(
                    "银行入账 {credit} 查明转出 {}，它的凭证却从待查明款项转出 {}",
                    t.amount, t.debited
                ),
            ));
        }
        if b.reversed.contains_key(&t.entry_id) {
            out.push(at(None, format!("银行入账 {credit} 的查明转出凭证被冲销了")));
        }
        if deposits.contains(&t.credit) {
            out.push(at(None, format!("银行入账 {credit} 既是报账员的代交，又已查明转出")));
        }
        if refunding.contains_key(&t.credit) {
            out.push(at(None, format!("银行入账 {credit} 既在退款，又已查明转出")));
        }
    }
    let mut twice: Vec<_> = refunding.into_iter().filter(|(_, n)| *n > 1).collect();
    twice.sort_unstable();
    for (credit, n) in twice {
        out.push(at(None, format!("银行入账 {} 同时有 {n} 笔有效的退款", credit.get())));
    }
    // Refunds asked for or approved but not paid will take their money out of 211.9999: it must
    // still be there (a hand entry that moved it out would make the refund pay it twice).
    let promised: Money = b.refunds.iter().filter(|r| r.active && !r.paid).map(|r| r.amount).sum();
    if b.suspense_held < promised {
        out.push(at(
            None,
            format!(
                "待查明款项（211.9999）余额 {}，少于已申请、尚未付出的退款 {promised}",
                b.suspense_held
            ),
        ));
    }
    for d in &b.untied_suspense_disbursements {
        out.push(at(
            None,
            format!("支出申请 {d} 记入待查明款项，却不是任何银行入账的退款"),
        ));
    }

    // Every fen in 211.9999 is a credit's part still waiting: what each credit's own entry put
    // there, less its placement in force, its pay-in, its paid refund and its transfer. Hand
    // entries made before they were refused name no credit, so their net is set aside.
    let waiting = waiting_in_suspense(b);
    // ... and the money of every credit still listed as waiting is there: an earlier hand entry
    // that moved one credit's money out leaves it listed with nothing behind it, and the next
    // placement, pay-in, refund or transfer would take another credit's money.
    if b.suspense_by_hand.is_negative() && b.suspense_held < waiting {
        let seqs: Vec<String> = b.suspense_hand_entries.iter().map(|s| format!("第{s}号")).collect();
        out.push(at(
            None,
            format!(
                "待查明款项（211.9999）余额 {}，少于各笔入账尚待查明的部分合计 {waiting}：有入账的钱已被手工凭证（{}）转出；请冲销该手工凭证，再在“待查明款项”页把那笔入账认领、退款或查明转出",
                b.suspense_held,
                seqs.join("、")
            ),
        ));
    }
    if b.suspense_held - b.suspense_by_hand != waiting {
        out.push(at(
            None,
            format!(
                "待查明款项（211.9999）余额 {}{}，而各笔入账尚待查明的部分合计 {waiting}：有钱进出待查明款项却没有写明是哪笔入账",
                b.suspense_held,
                if b.suspense_by_hand.is_zero() {
                    String::new()
                } else {
                    format!("（其中早先的手工凭证 {}）", b.suspense_by_hand)
                }
            ),
        ));
    }

    // A provider's clearing account holds the payments it has not settled and what settlements
    // left by paying short; hand entries may write off that remainder, never more (a payment
    // still waiting, or what a settlement that paid too much already took).
    for c in &b.clearing {
        let by_rules = c.paid_in - c.settled_out;
        if c.held - c.by_hand != by_rules {
            out.push(at(
                None,
                format!(
                    "待结算科目（{}）余额 {}{}，而转入待结算的收款 {} 减去结算转出 {} 应为 {by_rules}：有钱进出待结算科目却不是收款或结算",
                    c.code,
                    c.held,
                    if c.by_hand.is_zero() {
                        String::new()
                    } else {
                        format!("（其中手工凭证 {}）", c.by_hand)
                    },
                    c.paid_in,
                    c.settled_out
                ),
            ));
        }
        if c.written_off() > c.left_short {
            let seqs: Vec<String> = c.hand_entries.iter().map(|s| format!("第{s}号")).collect();
            out.push(at(
                None,
                format!(
                    "待结算科目（{}）被手工凭证（{}）转出 {}，超过结算少到账留下的差额 {}：手工凭证转走了等待结算的收款；请冲销多转的手工凭证",
                    c.code,
                    seqs.join("、"),
                    c.written_off(),
                    c.left_short
                ),
            ));
        }
    }

    // No entry that money rests on was reversed, except a voided cash record's own (a placement
    // undone is no longer in force, so its reversed entry is not read here).
    let allowed: HashSet<EntryId> = b.cash_reversals.values().copied().collect();
    let backing = b
        .cash
        .iter()
        .map(|c| (c.entry_id, format!("现金记录 {}", c.id), Some(c.bill_id)))
        .chain(
            b.credits
                .iter()
                .map(|c| (c.entry_id, format!("银行入账 {}", c.provider_txn_id), c.bill_id)),
        )
        .chain(b.credits.iter().filter_map(|c| {
            c.placement_entry_id
                .map(|e| (e, format!("银行入账 {} 的认领", c.provider_txn_id), c.bill_id))
        }))
        .chain(
            b.pay_ins
                .iter()
                .filter_map(|p| p.entry_id.map(|e| (e, format!("代交 {}", p.id), None))),
        );
    for (entry, what, bill) in backing {
        if let Some(reversal) = b.reversed.get(&entry) {
            if !allowed.contains(reversal) {
                out.push(at(name(bill), format!("{what} 所依据的凭证被另一张凭证冲销了")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    /// One bill of 200.00 paid by one bank credit, with its receipt; one cash payment of 50.00
    /// on another bill still on hand.
    fn agreeing() -> VillageBooks {
        VillageBooks {
            bills: vec![
                BillFact {
                    id: BillId(1),
                    reference: "000001-000001-6".into(),
                    amount: m(20_000),
                    paid: m(20_000),
                    status: BillStatus::Paid,
                },
                BillFact {
                    id: BillId(2),
                    reference: "000001-000002-4".into(),
                    amount: m(10_000),
                    paid: m(5_000),
                    status: BillStatus::PartPaid,
                },
            ],
            receipts: vec![
                ReceiptFact {
                    number: "R1".into(),
                    bill_id: Some(BillId(1)),
                    amount: m(20_000),
                    status: ReceiptStatus::Issued,
                    bank_transaction_id: Some(BankTransactionId(7)),
                    cash_record_id: None,
                },
                ReceiptFact {
                    number: "R2".into(),
                    bill_id: Some(BillId(2)),
                    amount: m(5_000),
                    status: ReceiptStatus::Issued,
                    bank_transaction_id: None,
                    cash_record_id: Some(CashRecordId(3)),
                },
            ],
            cash: vec![CashFact {
                id: CashRecordId(3),
                bill_id: BillId(2),
                amount: m(5_000),
                status: CashStatus::OnHand,
                entry_id: EntryId(11),
                pay_in_id: None,
            }],
            pay_ins: vec![],
            credits: vec![CreditFact {
                id: BankTransactionId(7),
                provider_txn_id: "RCB-1".into(),
                bill_id: Some(BillId(1)),
                amount: m(20_000),
                to_bill: m(20_000),
                entry_id: EntryId(10),
                placement_entry_id: None,
                applied_rows: 1,
            }],
            reversed: HashMap::new(),
            cash_reversals: HashMap::new(),
            placements: vec![],
            refunds: vec![],
            transfers: vec![],
            untied_suspense_disbursements: vec![],
            clearing: vec![],
            suspense_held: Money::ZERO,
            suspense_by_hand: Money::ZERO,
            suspense_hand_entries: vec![],
            ledger_cash: m(5_000),
        }
    }

    /// `agreeing()` plus a credit of 80.00 that named no bill, refunded whole.
    fn with_refund() -> VillageBooks {
        let mut b = agreeing();
        b.credits.push(CreditFact {
            id: BankTransactionId(9),
            provider_txn_id: "RCB-9".into(),
            bill_id: None,
            amount: m(8_000),
            to_bill: Money::ZERO,
            entry_id: EntryId(13),
            placement_entry_id: None,
            applied_rows: 1,
        });
        b.refunds.push(RefundFact {
            credit: BankTransactionId(9),
            disbursement_id: 4,
            amount: m(8_000),
            disbursed: m(8_000),
            books_to_suspense: true,
            active: true,
            paid: false,
        });
        b.suspense_held = m(8_000);
        b
    }

    /// `with_refund()` with the refund rejected and the credit transferred to income instead.
    fn with_transfer() -> VillageBooks {
        let mut b = with_refund();
        b.refunds[0].active = false;
        b.suspense_held = Money::ZERO;
        b.transfers.push(TransferFact {
            credit: BankTransactionId(9),
            amount: m(8_000),
            entry_id: EntryId(14),
            debited: m(8_000),
        });
        b
    }

    #[test]
    fn every_fen_in_suspense_is_a_credits_part_still_waiting() {
        let said = |b: &VillageBooks| check(b).into_iter().map(|d| d.what).collect::<Vec<_>>().join("；");
        let untied = "没有写明是哪笔入账";
        // 30.00 went out of 211.9999 naming no credit.
        let mut b = with_refund();
        b.suspense_held = m(5_000);
        assert!(said(&b).contains(untied), "{}", said(&b));
        // ... by a hand entry made before they were refused: set aside.
        b.suspense_by_hand = m(-3_000);
        b.suspense_hand_entries = vec![12];
        assert!(!said(&b).contains(untied), "{}", said(&b));
        // ... but a credit listed as waiting has 30.00 less behind it than it put there.
        assert!(said(&b).contains("手工凭证（第12号）转出"), "{}", said(&b));
        // Without hand entries the same shortage is untied money, never blamed on one.
        b.suspense_by_hand = Money::ZERO;
        b.suspense_hand_entries.clear();
        assert!(
            said(&b).contains(untied) && !said(&b).contains("手工凭证"),
            "{}",
            said(&b)
        );
        // The refund paid: nothing waits, nothing is held.
        let mut b = with_refund();
        b.refunds[0].paid = true;
        b.suspense_held = Money::ZERO;
        assert_eq!(check(&b), vec![]);
        // Placed onto a bill instead: its placement took it.
        let mut b = with_refund();
        b.refunds.clear();
        b.credits[1].to_bill = m(8_000);
        b.credits[1].placement_entry_id = Some(EntryId(16));
        assert!(said(&b).contains(untied), "held 80.00 for nobody: {}", said(&b));
        b.suspense_held = Money::ZERO;
        assert!(!said(&b).contains(untied), "{}", said(&b));
    }

    #[test]
    fn transfers_that_disagree_with_their_credit_are_named() {
        assert_eq!(check(&with_transfer()), vec![]);
        let said = |b: &VillageBooks| check(b).into_iter().map(|d| d.what).collect::<Vec<_>>().join("；");
        let mut b = with_transfer();
        b.transfers[0].amount = m(7_000);
        assert!(said(&b).contains("不等于它的待查明部分"), "{}", said(&b));
        let mut b = with_transfer();
        b.transfers[0].debited = m(7_000);
        assert!(said(&b).contains("它的凭证却从待查明款项转出"), "{}", said(&b));
        let mut b = with_transfer();
        b.reversed.insert(EntryId(14), EntryId(15));
        assert!(said(&b).contains("查明转出凭证被冲销"), "{}", said(&b));
        let mut b = with_transfer();
        b.refunds[0].active = true;
        b.suspense_held = m(8_000);
        assert!(said(&b).contains("既在退款，又已查明转出"), "{}", said(&b));
        let mut b = with_transfer();
        b.credits[1].placement_entry_id = Some(EntryId(16));
        b.credits[1].to_bill = m(8_000);
        assert!(said(&b).contains("既已认领到账单，又已查明转出"), "{}", said(&b));
        let mut b = with_transfer();
        b.transfers[0].credit = BankTransactionId(99);
        assert!(said(&b).contains("不存在"), "{}", said(&b));
    }

    #[test]
    fn a_refund_of_a_credits_suspense_part_agrees() {
        assert_eq!(check(&with_refund()), vec![]);
        // A rejected refund and a second, active one: still one active refund.
        let mut b = with_refund();
        b.refunds[0].active = false;
        b.refunds.push(RefundFact {
            disbursement_id: 5,
            ..b.refunds[0].clone()
        });
        b.refunds[1].active = true;
        assert_eq!(check(&b), vec![]);
    }

    #[test]
    fn refunds_that_disagree_with_their_credit_are_named() {
        let said = |b: &VillageBooks| check(b).into_iter().map(|d| d.what).collect::<Vec<_>>().join("\n");
        let mut b = with_refund();
        b.refunds.push(RefundFact {
            disbursement_id: 5,
            ..b.refunds[0].clone()
        });
        assert!(said(&b).contains("同时有 2 笔有效的退款"), "{}", said(&b));

        let mut b = with_refund();
        b.refunds[0].amount = m(7_000);
        b.refunds[0].disbursed = m(7_000);
        assert!(said(&b).contains("不等于它的待查明部分 80.00"), "{}", said(&b));

        let mut b = with_refund();
        b.refunds[0].books_to_suspense = false;
        assert!(said(&b).contains("没有按退款金额 80.00 记入待查明款项"), "{}", said(&b));

        let mut b = with_refund();
        b.credits[1].placement_entry_id = Some(EntryId(14));
        b.credits[1].to_bill = m(8_000);
        assert!(said(&b).contains("既已认领到账单，又在退款"), "{}", said(&b));

        let mut b = with_refund();
        b.untied_suspense_disbursements.push(6);
        assert!(said(&b).contains("支出申请 6 记入待查明款项"), "{}", said(&b));

        let mut b = with_refund();
        b.suspense_held = m(3_000);
        assert!(said(&b).contains("少于已申请、尚未付出的退款 80.00"), "{}", said(&b));
        b.refunds[0].paid = true;
        assert!(!said(&b).contains("少于"), "a paid refund took its money already");

        let mut b = with_refund();
        b.pay_ins.push(PayInFact {
            id: crate::domain::PayInId(1),
            amount: m(8_000),
            status: PayInStatus::Matched,
            bank_transaction_id: Some(BankTransactionId(9)),
            entry_id: Some(EntryId(15)),
        });
        assert!(said(&b).contains("既是报账员的代交，又在退款"), "{}", said(&b));

        let mut b = with_refund();
        b.refunds[0].credit = BankTransactionId(99);
        assert!(said(&b).contains("依据的银行入账不存在"), "{}", said(&b));
    }

    #[test]
    fn agreeing_books_say_nothing() {
        assert_eq!(check(&agreeing()), vec![]);
    }

    #[test]
    fn a_bill_paid_twice_is_named() {
        let mut b = agreeing();
        b.bills[0].paid = m(40_000);
        b.credits.push(CreditFact {
            id: BankTransactionId(8),
            provider_txn_id: "RCB-2".into(),
            bill_id: Some(BillId(1)),
            amount: m(20_000),
            to_bill: m(20_000),
            entry_id: EntryId(12),
            placement_entry_id: None,
            applied_rows: 1,
        });
        let found = check(&b);
        assert!(!found.is_empty());
        assert_eq!(found[0].bill.as_deref(), Some("000001-000001-6"), "{found:?}");
        assert!(found[0].what.contains("应缴 200.00"), "{found:?}");
    }

    #[test]
    fn each_kind_of_disagreement_is_seen() {
        type Spoil = Box<dyn Fn(&mut VillageBooks)>;
        let cases: Vec<(&str, Spoil)> = vec![
            (
                "a receipt without money",
                Box::new(|b| b.receipts[0].bank_transaction_id = None),
            ),
            (
                "a second receipt on one credit",
                Box::new(|b| {
                    let mut r = b.receipts[0].clone();
                    r.number = "R3".into();
                    b.receipts.push(r);
                }),
            ),
            (
                "cash in the ledger that nobody holds",
                Box::new(|b| b.ledger_cash = m(6_000)),
            ),
            ("a credit applied twice", Box::new(|b| b.credits[0].applied_rows = 2)),
            (
                "a status that does not follow",
                Box::new(|b| b.bills[1].status = BillStatus::Paid),
            ),
            (
                "a cash entry reversed behind its record",
                Box::new(|b| {
                    b.reversed.insert(EntryId(11), EntryId(99));
                }),
            ),
            (
                "two placements of one credit in force",
                Box::new(|b| {
                    for e in [13, 14] {
                        b.placements.push(PlacementFact {
                            credit: BankTransactionId(7),
                            entry_id: EntryId(e),
                            undone_by: None,
                        });
                    }
                }),
            ),
            (
                "an undone placement whose entry was not reversed",
                Box::new(|b| {
                    b.placements.push(PlacementFact {
                        credit: BankTransactionId(7),
                        entry_id: EntryId(13),
                        undone_by: Some(EntryId(97)),
                    });
                }),
            ),
            (
                "a placement in force whose entry was reversed",
                Box::new(|b| {
                    b.credits[0].placement_entry_id = Some(EntryId(13));
                    b.reversed.insert(EntryId(13), EntryId(98));
                }),
            ),
            (
                "a receipt for more than its credit paid",
                Box::new(|b| b.credits[0].to_bill = m(10_000)),
            ),
        ];
        for (why, spoil) in cases {
            let mut b = agreeing();
            spoil(&mut b);
            assert!(!check(&b).is_empty(), "{why} went unseen");
        }
    }

    #[test]
    fn a_voided_cash_receipt_and_its_reversal_agree() {
        let mut b = agreeing();
        b.bills[1].paid = Money::ZERO;
        b.bills[1].status = BillStatus::Open;
        b.receipts[1].status = ReceiptStatus::Voided;
        b.cash[0].status = CashStatus::Voided;
        b.reversed.insert(EntryId(11), EntryId(12));
        b.cash_reversals.insert(CashRecordId(3), EntryId(12));
        b.ledger_cash = Money::ZERO;
        assert_eq!(check(&b), vec![]);
    }
}
