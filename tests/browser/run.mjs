// Browser stories against a running qingzhang and its sandbox bank, in Debian's headless
// Chromium driven by playwright-core. Started by tests/browser.rs, which sets up the data and
// passes it in the environment; exits non-zero on the first failed expectation. Screenshots go
// to QZ_ARTIFACTS (kept by CI as test artefacts).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const BASE = env('QZ_BASE');
const SANDBOX = env('QZ_SANDBOX');
const OUT = env('QZ_ARTIFACTS');
mkdirSync(OUT, { recursive: true });

function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
  console.log(`ok - ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const shot = (page, name) => page.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });

try {
  // 1. A villager scans a bill's code, pays with WeChat Pay through the sandbox and sees the
  //    receipt number, which only appears once the gateway's notification is in.
  {
    const ctx = await browser.newContext({
      viewport: { width: 390, height: 844 },
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.50',
      locale: 'zh-CN',
    });
    const page = await ctx.newPage();
    await page.goto(env('QZ_PAY_URL'));
    await shot(page, '01-pay-page');
    const body = await page.textContent('body');
    expect(body.includes('村集体收款') && body.includes('¥1678.38'), 'the pay page shows the bill and amount');
    const size = await page.$eval('dd.amount', (e) => parseFloat(getComputedStyle(e).fontSize));
    expect(size >= 18, `amount text at least 18px (${size})`);
    const button = await page.$eval('#pay-wechat', (e) => e.getBoundingClientRect().height);
    expect(button >= 48, `tap target at least 48px high (${button})`);
    await page.click('#pay-wechat');
    await page.waitForSelector('#waiting');
    await shot(page, '02-order-waiting');
    const orderUrl = page.url();
    // The payer's phone pays at the gateway (the sandbox's cashier page).
    const link = await page.getAttribute('a.button', 'href');
    const cashier = await ctx.newPage();
    await cashier.goto(link);
    await shot(cashier, '03-sandbox-cashier');
    await cashier.click('#pay');
    await cashier.waitForSelector('#paid');
    // The order page refreshes itself until the money is in.
    await page.goto(orderUrl);
    await page.waitForSelector('#receipt', { timeout: 20000 });
    const receipt = await page.textContent('#receipt');
    expect(/^\d{12}-\d{4}-\d{6}$/.test(receipt.trim()), `the payer sees receipt ${receipt} in its one full form`);
    await shot(page, '04-order-paid');
    // The e-receipt: the public check page of this receipt, no personal data beyond a masked name.
    await page.click('#e-receipt');
    await page.waitForSelector('#result');
    expect((await page.textContent('h1')).includes('真实有效'), 'the e-receipt confirms the payment');
    expect((await page.textContent('body')).includes(receipt.trim()), 'the check page gives the receipt the number the order page gave');
    expect(!(await page.textContent('body')).includes('张建国'), 'the e-receipt masks the payer');
    await shot(page, '04b-e-receipt');
    // 村务公开 on the villager's phone: the year's money, readable at 390 px, and the chain
    // head checked with the form.
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${BASE}/v/${env('QZ_VILLAGE')}`);
    await page.waitForSelector('#chart-collections svg');
    expect((await page.textContent('#totals')).includes('¥1678.38'), 'the public page shows what the village collected');
    expect(!(await page.textContent('body')).includes('张建国'), 'the public page names nobody');
    const fontSize = await page.$eval('body', (e) => parseFloat(getComputedStyle(e).fontSize));
    expect(fontSize >= 18, `public page text at least 18px (${fontSize})`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= 390, `the public page does not scroll sideways at 390 px (${wide})`);
    const seq = (await page.textContent('#head-hash')) && (await page.$eval('section:has(#head-hash) strong', (e) => e.textContent));
    await page.fill('#seq', seq);
    await page.fill('#hash', (await page.textContent('#head-hash')).trim());
    const tall = await page.$eval('#check-head', (e) => e.getBoundingClientRect().height);
    expect(tall >= 48, `the check button is a big tap target (${tall})`);
    await page.click('#check-head');
    await page.waitForSelector('#head-result');
    expect((await page.textContent('#head-result')).startsWith('相符'), 'a head noted down checks as intact');
    expect(errors.length === 0, `no script errors on the public page (${errors.join('; ')})`);
    await shot(page, '04c-public-village');
    // The noticeboard poster, printed to A4 the way the browser prints it (tests/browser.rs
    // then checks the PDF's pages and reads both codes back from it).
    await page.goto(`${BASE}/v/${env('QZ_VILLAGE')}/poster`);
    await page.emulateMedia({ media: 'print' });
    const poster = await page.pdf({ path: `${OUT}/poster.pdf`, format: 'A4', preferCSSPageSize: true });
    expect(poster.subarray(0, 5).toString() === '%PDF-', 'the poster prints to PDF');
    await ctx.close();
  }

  // 2. A clerk logs in, records cash, pays it in, and matches the bank's credit.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const village = env('QZ_VILLAGE');
  await page.goto(`${BASE}/staff/login`);
  await page.fill('#username', 'clerk_a');
  await page.fill('#password', env('QZ_PASSWORD'));
  await page.click('#login');
  await page.waitForURL(`${BASE}/staff/v/${village}`);
  await shot(page, '05-clerk-today');
  await page.goto(`${BASE}/staff/v/${village}/bills`);
  await shot(page, '06-clerk-bills');
  await page.click(`a[href*="cash?bill=${env('QZ_CASH_BILL')}"]`);
  // More than the bill owes: refused with a message a clerk understands, nothing recorded.
  await page.fill('#amount', '999999.00');
  await page.click('#record-cash');
  await page.waitForSelector('#message');
  expect((await page.textContent('#message')).includes('超过'), 'too much cash is refused in Chinese');
  await shot(page, '07-cash-refused');
  await page.fill('#amount', '200.00');
  await page.click('#record-cash');
  await page.waitForSelector('#number');
  const cashReceipt = (await page.textContent('#number')).trim();
  expect((await page.textContent('#message')).includes('已收款'), `cash receipt ${cashReceipt} issued`);
  await shot(page, '08-cash-receipt');
  // The printed receipt (A4 and three-part).
  await page.goto(`${BASE}/staff/v/${village}/receipts/${cashReceipt}/print?layout=a4`);
  await shot(page, '09-print-a4');
  expect((await page.textContent('body')).includes('贰佰元整'), 'the print shows the amount in 大写');
  // The bill number and the time each stay on one line (the trial saw their last digits wrap).
  for (const id of ['#bill', '#issued']) {
    const lines = await page.$eval(id, (e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    });
    expect(lines === 1, `${id} prints on one line (${lines})`);
  }
  expect(/^\d{6}-\d{6}-\d$/.test((await page.textContent('#bill')).trim()), 'the bill number keeps its dashes');
  // One font for Chinese and Latin: the fonts the renderer really used for a Chinese header and
  // for the digits of the bill number are one family (the trial saw serif digits).
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const fontsOf = async (selector) => {
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts.map((f) => f.familyName);
  };
  const used = new Set([...(await fontsOf('#bill')), ...(await fontsOf('th')), ...(await fontsOf('.code'))]);
  expect(used.size === 1, `one font family prints Chinese and digits alike (${[...used].join(', ')})`);
  await page.goto(`${BASE}/staff/v/${village}/receipts/${cashReceipt}/print?layout=241`);
  expect((await page.$$('.receipt')).length === 3, 'three-part paper prints three parts');
  // Each copy's label reads 第一联/第二联/第三联 top to bottom, one upright character under the
  // other (not vertical writing, which printed 一 as a gap and 二/三 as bars).
  const labels = await page.$$eval('.part', (parts) => parts.map((p) => {
    const spans = [...p.querySelectorAll('span')].filter((s) => s.textContent);
    const boxes = spans.map((s) => s.getBoundingClientRect());
    const stacked = boxes.every((b, i) => i === 0 || (b.top >= boxes[i - 1].bottom - 0.5 && Math.abs(b.left - boxes[0].left) < 2));
    return { text: spans.map((s) => s.textContent).join(''), stacked, mode: getComputedStyle(p).writingMode };
  }));
  expect(labels.map((l) => l.text.slice(0, 3)).join() === '第一联,第二联,第三联', `the copies are labelled ${labels.map((l) => l.text).join(' / ')}`);
  expect(labels.every((l) => l.stacked && l.mode === 'horizontal-tb'), 'each label is a column of upright characters');
  await shot(page, '10-print-241mm');
  // Pay in, the bank credits the deposit, the clerk confirms the proposed match.
  await page.goto(`${BASE}/staff/v/${village}/cash-on-hand`);
  await page.fill('#amount', '200.00');
  await page.click('#pay-in');
  await page.waitForSelector('#message');
  expect((await page.textContent('#message')).includes('已登记代交'), 'the pay-in is recorded');
  const credited = await fetch(`${SANDBOX}/sandbox/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      provider: 'rural_bank', account_ref: env('QZ_ACCOUNT_NO'), amount: '200.00', reference: '现金交存',
      callback_url: `${BASE}/callbacks/rural_bank/${env('QZ_BANK_BINDING')}`,
    }),
  });
  expect(credited.status === 202, 'the sandbox bank credits the deposit');
  let matched = false;
  for (let i = 0; i < 50 && !matched; i++) {
    await page.goto(`${BASE}/staff/v/${village}/cash-on-hand`);
    const button = await page.$('#proposals button');
    if (button) {
      await shot(page, '11-match-proposed');
      await button.click();
      await page.waitForSelector('#message');
      matched = (await page.textContent('#message')).includes('已匹配');
    } else {
      await page.waitForTimeout(200);
    }
  }
  expect(matched, 'the deposit is matched to the pay-in');
  expect((await page.textContent('#ledger-101')).trim() === '¥0.00', 'cash on the books is back to zero');
  await shot(page, '12-matched');

  // 3. A void keeps the number: the name was misspelt, the receipt is voided and reissued.
  await page.goto(`${BASE}/staff/v/${village}/receipts/${cashReceipt}`);
  await page.fill('#reason', '姓名写错');
  await page.click('#void');
  await page.waitForSelector('#message');
  expect((await page.textContent('#message')).includes(`${cashReceipt} 已作废`), 'the reissue names the voided number');
  const reissued = (await page.textContent('#number')).trim();
  expect(reissued !== cashReceipt, `reissued as ${reissued}`);
  await shot(page, '13-reissued');
  await page.goto(`${BASE}/staff/v/${village}/receipts/${cashReceipt}`);
  expect((await page.textContent('#status')).includes('已作废'), 'the old number is kept, voided');
  expect((await page.textContent('#void-info')).includes(reissued), 'and points to its reissue');
  await shot(page, '14-voided');

  // The receipt as PDF.
  const pdf = await page.evaluate(async (url) => {
    const r = await fetch(url);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { type: r.headers.get('content-type'), head: String.fromCharCode(...bytes.slice(0, 5)) };
  }, `${BASE}/staff/v/${village}/receipts/${reissued}/receipt.pdf`);
  expect(pdf.type === 'application/pdf' && pdf.head === '%PDF-', 'the receipt downloads as PDF');

  // 4. A form posted without its CSRF token changes nothing.
  const status = await page.evaluate(async (url) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'bill_reference=x&amount=1.00' });
    return r.status;
  }, `${BASE}/staff/v/${village}/cash`);
  expect(status === 403, 'a form without the CSRF token is refused');

  // 5. Anyone checks the reissued receipt on the public page.
  const code = (await page.goto(`${BASE}/staff/v/${village}/receipts/${reissued}`), await page.textContent('dt:has-text("校验码") + dd')).replace(/\s/g, '');
  const pub = await browser.newPage();
  await pub.goto(`${BASE}/r`);
  await pub.fill('#number', reissued);
  await pub.fill('#c', code);
  await pub.click('#check');
  await pub.waitForSelector('#result');
  expect((await pub.textContent('h1')).includes('真实有效'), 'the public page confirms the receipt');
  await shot(pub, '15-public-check');

  // 5b. The clerk's pages on a phone (390 px): the page never scrolls sideways (tables scroll in
  //     their own box) and no table cell is squeezed to one character per line.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', storageState: await ctx.storageState() });
  const pp = await phone.newPage();
  for (const [name, path] of [['today', ''], ['bills', '/bills'], ['cash', '/cash'], ['cash-on-hand', '/cash-on-hand'],
    ['receipts', '/receipts'], ['receipt', `/receipts/${reissued}`], ['reconciliation', '/reconciliation']]) {
    await pp.goto(`${BASE}/staff/v/${village}${path}`);
    await shot(pp, `19-phone-${name}`);
    const pageWidth = await pp.evaluate(() => document.documentElement.scrollWidth);
    expect(pageWidth <= 390, `${name} at 390 px does not scroll sideways (${pageWidth})`);
    const squeezed = await pp.$$eval('td, th', (cells) => cells.filter((c) => {
      const text = c.textContent.trim();
      if ([...text].length < 2) return false;
      const range = document.createRange();
      range.selectNodeContents(c);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      return lines >= [...text].length;
    }).map((c) => c.textContent.trim()));
    expect(squeezed.length === 0, `${name} at 390 px has no cell at one character per line (${squeezed.slice(0, 3).join(' | ')})`);
  }
  await phone.close();
  await ctx.close();

  // 6. The inspector runs the rules, finds the debit nobody approved, and works it through.
  for (const width of [1280, 390]) {
    const ictx = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
    const ip = await ictx.newPage();
    const chartErrors = [];
    ip.on('pageerror', (e) => chartErrors.push(String(e)));
    await ip.goto(`${BASE}/staff/login`);
    await ip.fill('#username', 'inspector');
    await ip.fill('#password', env('QZ_PASSWORD'));
    await ip.click('#login');
    await ip.waitForURL(/\/staff\/inspect/);
    if (width === 1280) {
      expect((await ip.textContent('main')).includes('暂无发现'), 'before a run the inspector is told what will appear');
      expect((await ip.textContent('#chart-months')).includes('暂无数据'), 'a chart with no data says so');
      await shot(ip, '16-inspector-empty');
      await ip.click('#run');
      await ip.waitForSelector('#message');
      expect((await ip.textContent('#message')).includes('条发现'), 'the run says what it found');
    }
    expect((await ip.textContent('#by-rule')).includes('未经审批的支出'), 'findings are counted by rule');
    // The charts are drawn by the service's own ECharts, each over a table of its numbers.
    await ip.waitForSelector('#chart-months svg');
    expect(await ip.$('#chart-rules svg') && await ip.$('#chart-severity svg') && await ip.$('#chart-cash svg'), 'the dashboard draws its charts');
    expect(chartErrors.length === 0, `no script errors (${chartErrors.join('; ')})`);
    const monthly = await ip.$$eval('#by-month tr td:nth-child(2)', (cells) => cells.reduce((n, c) => n + Number(c.textContent), 0));
    const listed = (await ip.$$('#findings tr')).length - 1;
    expect(monthly === listed && listed > 0, `the months' counts add up to the findings listed (${monthly} = ${listed})`);
    const cashRow = await ip.textContent('#cash-by-village');
    expect(cashRow.includes('¥1878.38') && cashRow.includes('¥200.00') && cashRow.includes('10.6%'),
      'the village took ¥200.00 of ¥1878.38 as cash: 10.6%');
    const tableWidth = await ip.evaluate(() => document.querySelector('#findings').closest('.scroll').scrollWidth);
    const pageWidth = await ip.evaluate(() => document.documentElement.scrollWidth);
    expect(pageWidth <= width, `the page itself fits ${width} px (tables scroll): ${pageWidth}`);
    await shot(ip, `17-inspector-findings-${width}`);
    expect(tableWidth > 0, 'the findings table is there');
    if (width === 1280) {
      // The amount filter: the ¥3000 debit is at stake above ¥2999.99, not above ¥3000.01.
      await ip.goto(`${BASE}/staff/inspect?amount=2999.99`);
      expect((await ip.textContent('#by-rule')).includes('未经审批的支出'), 'a finding above the amount is listed');
      await ip.goto(`${BASE}/staff/inspect?amount=3000.01`);
      expect((await ip.textContent('main')).includes('暂无发现'), 'a finding below the amount is not');
      expect((await ip.inputValue('input[name=amount]')) === '3000.01', 'the filter keeps what was typed');
      await ip.goto(`${BASE}/staff/inspect`);
      // From the ranking to the village's own page: its chain, collections and books.
      await ip.click('#by-village tr:nth-child(2) td:first-child a');
      await ip.waitForSelector('#chain');
      expect((await ip.textContent('#chain')).includes('账链完整'), 'the village page says its chain verifies');
      expect((await ip.textContent('#collections')).includes('¥1878.38'), 'the village page shows what it collected');
      expect((await ip.textContent('#books')).includes('银行存款'), 'the village page shows its books in brief');
      await shot(ip, '17b-inspector-village');
    }
    await ip.goto(`${BASE}/staff/inspect?rule=UNAPPROVED_DEBIT`);
    await ip.click('#findings tr:nth-child(2) a');
    await ip.waitForSelector('#finding-summary');
    expect((await ip.textContent('#evidence')).includes('对账单流水'), 'the evidence names the statement line');
    if (width === 1280) {
      // Confirming needs a note; acknowledging first.
      await ip.click('form.step button');
      await ip.waitForSelector('#message');
      expect((await ip.textContent('#status')).includes('已受理'), 'acknowledged');
      await ip.fill('form.step:has(input[value="confirmed"]) textarea', '村会计承认未经审批转出，已责令追回');
      await ip.click('form.step:has(input[value="confirmed"]) button');
      await ip.waitForSelector('#message');
      expect((await ip.textContent('#status')).includes('已认定'), 'confirmed with a note');
      expect((await ip.textContent('#history')).includes('已责令追回'), 'the note is in the history');
    }
    await shot(ip, `18-inspector-finding-${width}`);
    await ictx.close();
  }

  // 7. The township accountant: from the village's journal to a statement upload, the
  //    reconciliation report, a payment request approved, and the trial balance.
  for (const width of [1280, 390]) {
    const actx = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
    const ap = await actx.newPage();
    await ap.goto(`${BASE}/staff/login`);
    await ap.fill('#username', 'accountant');
    await ap.fill('#password', env('QZ_PASSWORD'));
    await ap.click('#login');
    await ap.click(`a[href="/staff/v/${village}/journal"]`);
    await ap.waitForSelector('#journal');
    expect((await ap.textContent('header')).includes('支出审批'), 'the accountant has their own menu');
    await shot(ap, `20-accountant-journal-${width}`);
    const wide = await ap.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= width, `the journal fits ${width} px (${wide})`);
    if (width === 1280) {
      await ap.goto(`${BASE}/staff/v/${village}/reconciliation?from=2026-11-01&to=2026-11-07`);
      await ap.setInputFiles('input[type=file]', env('QZ_STATEMENT_FILE'));
      await ap.click('form[action$="/upload"] button');
      await ap.waitForSelector('#message');
      expect((await ap.textContent('#message')).includes('已导入 4 笔交易'), 'the GBK netbank export is imported');
      await ap.click('form[action$="/run"] button');
      await ap.waitForSelector('#message');
      expect((await ap.textContent('#message')).includes('对账完成'), 'the week is reconciled');
      expect((await ap.textContent('main')).includes('东岭建材经营部'), 'the report names the debit nobody approved');
      await ap.waitForSelector('#chart-balances svg');
      const days = await ap.$$eval('#balances tr:has(td)', (rows) => rows.length);
      expect(days === 7, `the balances chart stands above a table of the week's seven days (${days})`);
      await shot(ap, '21-accountant-reconciliation');
      await ap.goto(`${BASE}/staff/v/${village}/disbursements`);
      await ap.fill('#disbursements input[name=note]', '经村民代表会议同意');
      await ap.click('#disbursements button[id^=approve-]');
      await ap.waitForSelector('#message');
      expect((await ap.textContent('#message')).includes('已批准'), 'the clerk\'s request is approved by the accountant');
      expect((await ap.textContent('#disbursements')).includes('accountant：经村民代表会议同意'), 'with who approved and why');
      await shot(ap, '22-accountant-approved');
      await ap.goto(`${BASE}/staff/v/${village}/trial-balance`);
      expect((await ap.textContent('#balanced')).includes('借贷平衡'), 'the trial balance balances');
      await shot(ap, '23-accountant-trial-balance');
    }
    await actx.close();
  }

  // 8. The county admin adds a clerk and binds a bank account's keys.
  {
    const dctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const dp = await dctx.newPage();
    await dp.goto(`${BASE}/staff/login`);
    await dp.fill('#username', 'admin');
    await dp.fill('#password', env('QZ_PASSWORD'));
    await dp.click('#login');
    await dp.waitForURL(/\/staff\/admin\/users/);
    await dp.fill('#username', 'clerk_new');
    await dp.fill('#display_name', '赵新');
    await dp.fill('#password', 'a-long-enough-password');
    await dp.selectOption('#role', 'clerk');
    await dp.selectOption('#scope_kind', 'village');
    await dp.fill('#scope_code', village);
    await dp.click('#create-user');
    await dp.waitForSelector('#message');
    expect((await dp.textContent('#message')).includes('已添加用户 clerk_new'), 'the admin adds a clerk');
    expect((await dp.textContent('#users')).includes('赵新'), 'and sees them listed');
    await shot(dp, '24-admin-users');
    // Village B's account has no bank binding yet (village A's was bound by the setup).
    await dp.goto(`${BASE}/staff/admin/v/${env('QZ_VILLAGE_B')}`);
    await dp.click('details:has(#binding-rural_bank) summary');
    await dp.fill('#binding-rural_bank input[name=key_id]', 'k-admin-2026');
    await dp.fill('#binding-rural_bank input[name=secret]', 'a-secret-typed-by-the-admin');
    await dp.click('#binding-rural_bank button');
    await dp.waitForSelector('#message');
    const bound = await dp.textContent('#message');
    expect(bound.includes('已绑定'), `the admin binds the bank (${bound})`);
    expect((await dp.textContent('#bindings')).includes('k-admin-2026'), 'the binding lists its key id');
    expect(!(await dp.content()).includes('a-secret-typed-by-the-admin'), 'the secret is never shown back');
    await shot(dp, '25-admin-binding');
    await dctx.close();
  }
} finally {
  await browser.close();
}
console.log('browser stories passed');
