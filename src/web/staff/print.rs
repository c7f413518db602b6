//! Receipt print layouts: A4, and 241 mm continuous three-part paper (存根联/收据联/记账联) for
//! the village's dot-matrix printer. Sizes in millimetres with `@page`, so what prints is what
//! the layout says; a voided or 待核实 receipt prints with that mark across it.

use crate::payments::qr;
use crate::usecases::receipts::ReceiptDetail;
use crate::web::pages::esc;

/// `{public_url}/r/{number}?c={code}`: where the receipt's QR leads.
pub fn verify_url(public_url: &str, r: &ReceiptDetail) -> String {
    format!(
        "{}/r/{}?c={}",
        public_url.trim_end_matches('/'),
        r.number,
        r.verification_code.replace(' ', "")
    )
}

#[derive(Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum Layout {
    #[serde(rename = "a4")]
    A4,
    #[serde(rename = "241")]
    ThreePart,
}

fn mark(r: &ReceiptDetail) -> &'static str {
    r.status.stamp().unwrap_or("")
}

/// The receipt's fields as a table (shared by both layouts).
fn body(r: &ReceiptDetail, qr_svg: &str) -> String {
    let void = match (&r.void_reason, &r.replaced_by) {
        (Some(reason), by) => format!(
            "<tr><th>作废</th><td colspan=3>{}{}</td></tr>",
            esc(reason),
            by.as_ref()
                .map(|n| format!("（重开为 {}）", esc(n)))
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    let replaces = r
        .replaces
        .as_ref()
        .map(|n| format!("<tr><th>重开自</th><td colspan=3>{}</td></tr>", esc(n)))
        .unwrap_or_default();
    format!(
        r#"<div class="qr">{qr_svg}<div>扫码查验</div></div>
<table>
<tr><th>缴款人</th><td>{payer}</td><th>收款方式</th><td>{channel}</td></tr>
<tr><th>收费项目</th><td colspan=3>{item} {period}</td></tr>
<tr><th>金额（小写）</th><td class="amount one-line">¥{amount}</td><th>账单号</th><td class="one-line" id="bill">{bill}</td></tr>
<tr><th>金额（大写）</th><td colspan=3 class="words">{words}</td></tr>
<tr><th>款项依据</th><td colspan=3>{evidence}</td></tr>
{replaces}{void}
<tr><th>经办人</th><td>{clerk}</td><th>开具时间</th><td class="one-line" id="issued">{issued}</td></tr>
<tr><th>校验码</th><td colspan=3 class="code">{code}</td></tr>
</table>"#,
        payer = esc(&r.payer_name),
        channel = esc(&r.channel_name),
        item = esc(&r.fee_item),
        period = esc(&crate::domain::schedule::shown_period(&r.period_label)),
        amount = r.amount,
        bill = esc(r.bill_reference.as_deref().unwrap_or("")),
        words = esc(&r.amount_in_words),
        evidence = esc(if r.evidence.is_empty() {
            "（待银行到账核实）"
        } else {
            &r.evidence
        }),
        clerk = esc(&r.clerk),
        issued = esc(&r.issued_at),
        code = esc(&r.verification_code),
    )
}

/// One font stack for Chinese and Latin alike: each of these holds both, so digits and letters
/// never fall back to a serif face beside sans-serif Chinese (the trial's A4 print did).
const FONTS: &str =
    r#""WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif"#;

/// A copy's label (第一联 存根联) set one character under the other, each upright. Vertical
/// writing mode printed 一 as a gap and 二/三 as bars on the trial's printer driver (the numerals
/// turned on their side); a column of upright characters reads the same on any printer.
fn stacked(label: &str) -> String {
    label
        .chars()
        .map(|c| match c {
            ' ' => r#"<span class="gap"></span>"#.to_string(),
            c => format!("<span>{}</span>", esc(&c.to_string())),
        })
        .collect()
}

pub fn render(r: &ReceiptDetail, public_url: &str, layout: Layout) -> String {
    let qr_svg = qr::svg(&verify_url(public_url, r), 96).unwrap_or_default();
    let title = format!("{}集体经济组织收款收据", r.village_name);
    let head = format!(
        r#"<h1>{}</h1><div class="number">No. {}</div>"#,
        esc(&title),
        esc(&r.number)
    );
    let stamp = match mark(r) {
        "" => String::new(),
        m => format!(r#"<div class="stamp">{m}</div>"#),
    };
    let (page_css, copies) = match layout {
        Layout::A4 => (
            "@page { size: A4; margin: 15mm; } .receipt { width: 180mm; height: 120mm; }",
            vec![String::new()],
        ),
        Layout::ThreePart => (
            "@page { size: 241mm 93mm; margin: 4mm 6mm; } .receipt { width: 229mm; height: 85mm; page-break-after: always; } .receipt table { font-size: 10pt; } .receipt h1 { font-size: 13pt; margin: 0 0 1mm; }",
            ["第一联 存根联", "第二联 收据联 交缴款人", "第三联 记账联"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
    };
    let receipts: String = copies
        .iter()
        .map(|part| {
            let label = if part.is_empty() {
                String::new()
            } else {
                format!(r#"<div class="part">{}</div>"#, stacked(part))
            };
            format!(r#"<div class="receipt">{stamp}{label}{head}{}</div>"#, body(r, &qr_svg))
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title><style>
{page_css}
body {{ margin: 0; font-family: {FONTS}; color: #000; }}
.receipt {{ position: relative; box-sizing: border-box; border: 0.3mm solid #000; padding: 4mm 6mm; margin: 0 auto 6mm; overflow: hidden; }}
h1 {{ text-align: center; font-size: 16pt; letter-spacing: 0.2em; margin: 0 0 2mm; }}
.number {{ font-size: 10pt; margin-bottom: 1mm; }}
table {{ width: 78%; border-collapse: collapse; font-size: 11pt; }}
th, td {{ border: 0.2mm solid #000; padding: 1mm 2mm; text-align: left; }}
th {{ width: 18%; font-weight: normal; white-space: nowrap; }}
.amount {{ font-weight: bold; }}
.code {{ font-variant-numeric: tabular-nums; letter-spacing: 0.1em; }}
.one-line {{ white-space: nowrap; }}
.qr {{ position: absolute; right: 6mm; top: 16mm; width: 22mm; text-align: center; font-size: 8pt; }}
.qr svg {{ width: 22mm; height: 22mm; }}
.part {{ position: absolute; right: 1.5mm; bottom: 3mm; font-size: 9pt; line-height: 1.15; text-align: center; }}
.part span {{ display: block; }}
.part span.gap {{ height: 0.6em; }}
.stamp {{ position: absolute; left: 35%; top: 30%; font-size: 40pt; color: #a61b1b; border: 1mm solid #a61b1b; padding: 0 4mm; transform: rotate(-15deg); opacity: 0.7; }}
.actions {{ text-align: center; margin: 4mm; }}
@media print {{ .actions {{ display: none; }} }}
</style></head><body>
<div class="actions"><button onclick="window.print()" style="font-size:14pt">打印</button></div>
{receipts}
</body></html>"#,
        title = esc(&title),
    )
}
