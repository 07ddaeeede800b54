// End-to-end tests of the dmsrate web pages in Debian's headless chromium
// (playwright-core, no downloaded browser) against the real server that
// run.sh starts on loopback. Each test saves screenshots of what a person
// sees, on a desktop and a phone-sized screen, into build/e2e/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const URL_BASE = process.env.DMS_E2E_URL;
const HR_KEY = process.env.DMS_E2E_HR_KEY;
const EMP_KEY = process.env.DMS_E2E_EMPLOYEE_KEY;
const EMPLOYEE = process.env.DMS_E2E_EMPLOYEE;
const SHOTS = process.env.DMS_E2E_SCREENSHOTS || path.resolve('../../build/e2e/screenshots');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const WAIT = 20000; // every wait is bounded by this

let context;
let userDir;

before(async () => {
  assert.ok(URL_BASE && HR_KEY && EMP_KEY, 'run through tests/e2e/run.sh (server URL and keys)');
  fs.mkdirSync(SHOTS, { recursive: true });
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dms-chromium-'));
  context = await chromium.launchPersistentContext(userDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 30000,
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Nothing may be fetched from outside the server under test.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(URL_BASE) || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
    return route.abort();
  });
});

after(async () => {
  if (context) await context.close();
  if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
});

// A new page at a viewport, collecting script errors and failed requests.
async function open(pathname, viewport = DESKTOP) {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.setDefaultNavigationTimeout(WAIT);
  await page.setViewportSize(viewport);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => page.problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 500) page.problems.push(`${r.status()}: ${r.url()}`);
  });
  await page.goto(URL_BASE + pathname);
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// axe-core's serious and critical violations of WCAG 2 A/AA on the page as
// it is now (labels, names, contrast, keyboard-reachable controls).
async function axeSerious(page) {
  // Evaluated through the debugger protocol: the pages' CSP rightly forbids
  // inline scripts, and the test must not weaken it.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

// Nothing sticks out sideways: the page is no wider than the screen.
async function noHorizontalOverflow(page) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(scroll <= inner, `page is ${scroll}px wide on a ${inner}px screen`);
}

// The smallest on-screen size of chart text: font size times the SVG's scale.
async function smallestChartText(page) {
  return page.evaluate(() => {
    let min = Infinity;
    document.querySelectorAll('svg.chart').forEach((svgEl) => {
      const vb = svgEl.viewBox.baseVal;
      const scale = svgEl.getBoundingClientRect().width / (vb && vb.width ? vb.width : 1);
      svgEl.querySelectorAll('text').forEach((t) => {
        min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * scale);
      });
    });
    return min;
  });
}

// Chart labels that stick out of their SVG (a cut «33,2 мл»), by the text's box.
async function cutChartText(page) {
  return page.evaluate(() => {
    const cut = [];
    document.querySelectorAll('svg.chart').forEach((svgEl) => {
      const vb = svgEl.viewBox.baseVal;
      svgEl.querySelectorAll('text').forEach((t) => {
        const b = t.getBBox();
        if (b.x < -0.5 || b.x + b.width > vb.width + 0.5) cut.push(t.textContent);
      });
    });
    return cut;
  });
}

async function signIn(page, key) {
  await page.fill('#key', key);
  await page.click('#signin');
}

test('home page: both ways in, Russian by default, English on the switch', async () => {
  const page = await open('/');
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  assert.match(await page.textContent('#go-employee h2'), /Сотруднику/);
  await shot(page, 'home-ru-desktop');
  await page.click('#lang-switch');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('#go-employee h2'), /Employee/);
  await page.click('#lang-switch');
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  await page.setViewportSize(PHONE);
  await shot(page, 'home-ru-phone');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('employee: a bad key is refused next to the key field', async () => {
  const page = await open('/employee.html');
  await signIn(page, 'dms_0000000000000000000000000000000000000000000000000000000000000000');
  await page.waitForSelector('#key-error:not([hidden])');
  assert.ok((await page.textContent('#key-error')).length > 0);
  assert.equal(await page.isHidden('#picker'), true);
  await page.close();
});

test('employee: an over-budget choice is refused with a visible message', async () => {
  const page = await open('/employee.html');
  await signIn(page, EMP_KEY);
  await page.waitForSelector('#picker:not([hidden]) #options li');
  assert.match(await page.textContent('#auth-state'), new RegExp(EMPLOYEE));
  // Dental in business clinics, planned hospital and mental health: more
  // than 15,000 RUB of credits plus the 12,000 RUB top-up cap.
  for (const code of ['dental_business', 'hospital_planned', 'mental_health']) {
    // Wait for the draft's PUT set up before the tick, which sends it.
    const saved = page.waitForResponse((r) => r.url().endsWith('/v1/me/election') && r.request().method() === 'PUT');
    await page.check(`#opt-${code}`);
    await saved;
  }
  await page.waitForSelector('#budget-error:not([hidden])');
  assert.equal(await page.getAttribute('#budget-bar', 'data-over'), 'true');
  assert.equal(await page.getAttribute('#status', 'data-status'), 'draft');
  await page.click('#submit');
  await page.waitForSelector('#submit-error:not([hidden])');
  const message = await page.textContent('#submit-error');
  assert.ok(message.length > 10, message);
  assert.equal(await page.isHidden('#submitted'), true);
  assert.equal(await page.getAttribute('#status', 'data-status'), 'draft');
  await page.locator('#budget-card').scrollIntoViewIfNeeded();
  await shot(page, 'employee-over-budget-desktop');
  await page.setViewportSize(PHONE);
  await shot(page, 'employee-over-budget-phone');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('employee: recommendation within budget, then submit and see status and history', async () => {
  const page = await open('/employee.html');
  // The key is kept for the tab session only: sign in again on a new page.
  await signIn(page, EMP_KEY);
  await page.waitForSelector('#picker:not([hidden]) #options li');
  // The draft of the previous test is still there, over budget.
  assert.equal(await page.isChecked('#opt-dental_business'), true);
  // Priorities: dental very important, the rest moderately.
  const dental = page.locator('#quiz input[data-code="dental_standard"]');
  await dental.fill('5');
  // The scale says what 0, 3 and 5 mean; the risk question is asked.
  assert.equal(await page.locator('#scale li').count(), 3);
  assert.match(await page.textContent('#scale'), /стоит своей ожидаемой цены/);
  assert.match(await page.textContent('#explain'), /минус то, что вы доплатите из зарплаты/);
  await page.check('#risk input[value="2"]');
  const asked = page.waitForRequest((r) => r.url().endsWith('/v1/me/recommendation'));
  await page.click('#recommend');
  assert.equal(JSON.parse((await asked).postData()).risk, 2);
  await page.waitForSelector('#recommendation .rec.best');
  const cards = await page.locator('#recommendation .rec').count();
  assert.ok(cards >= 2, `best and runner-ups, got ${cards}`);
  assert.match(await page.textContent('#recommendation .rec.best .oop'), /₽/);
  // Own deductions a year and a month, the total cost to me, and why it wins.
  assert.match(await page.textContent('#recommendation .rec.best .own'), /₽ в год \(.*₽ в месяц\)/);
  assert.match(await page.textContent('#recommendation .rec.best .oop.total'), /₽/);
  assert.match(await page.textContent('#recommendation .rec.best .why'), /второго варианта|единственный/);
  await page.locator('#recommendation .rec.best').scrollIntoViewIfNeeded();
  await shot(page, 'employee-recommendation-desktop');
  const applied = page.waitForResponse((r) => r.url().endsWith('/v1/me/election') && r.request().method() === 'PUT');
  await page.click('#recommendation .rec.best button');
  await applied;
  await page.waitForFunction(() => document.getElementById('budget-bar').dataset.over === 'false');
  assert.equal(await page.isHidden('#budget-error'), true);
  assert.equal(await page.isChecked('#opt-dental_business'), false);
  await page.click('#submit');
  await page.waitForSelector('#submitted:not([hidden])');
  assert.equal(await page.getAttribute('#status', 'data-status'), 'submitted');
  await page.waitForFunction(() => document.querySelectorAll('#history li').length >= 2);
  assert.match(await page.textContent('#history'), /отправлен/);
  await shot(page, 'employee-submitted-desktop');
  await page.setViewportSize(PHONE);
  await shot(page, 'employee-submitted-phone');
  await page.click('#lang-switch');
  assert.equal(await page.textContent('#status'), 'submitted');
  await shot(page, 'employee-submitted-phone-en');
  await page.click('#lang-switch');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: a census with a bad row is reported with its line next to the census', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  const csv = [
    'Табельный номер;Связь;Дата рождения;Пол;Регион',
    '1;сотрудник;01.02.1985;Ж;Москва',
    '2;сотрудник;31.02.1990;М;Москва',
    '3;сотрудник;15.06.1979;М;Казань',
  ].join('\n');
  await page.fill('#census', csv);
  await page.click('#quote-run');
  await page.waitForSelector('#census-error:not([hidden])');
  const text = await page.textContent('#census-error');
  assert.match(text, /строка 3/, text);
  assert.equal(await page.getAttribute('#census-error', 'data-path'), '/census_csv');
  assert.equal(await page.isHidden('#results'), true);
  await shot(page, 'hr-bad-census-desktop');
  await page.setViewportSize(PHONE);
  await page.locator('#census-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-bad-census-phone');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: quote per segment with the bar chart and the percentile fan, CSV download', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  await page.click('#census-sample');
  await page.waitForFunction(() => document.getElementById('census').value.split('\n').length > 50);
  await page.waitForSelector('#plan option[value="personalised-2026"]', { state: 'attached' });
  await page.selectOption('#plan', 'personalised-2026');
  await page.click('#quote-run');
  await page.waitForSelector('#chart-segments svg');
  const segments = await page.locator('#quote-table tbody tr:not(.total)').count();
  assert.ok(segments >= 2, `segments: ${segments}`);
  assert.equal(await page.locator('#chart-segments svg rect.bar').count(), segments * 3);
  assert.equal(await page.locator('#chart-fan svg rect.band').count(), 3 * 4);
  const total = await page.textContent('#quote-table tr.total');
  assert.match(total, /Итого/);
  const download = page.waitForEvent('download');
  await page.click('#quote-csv');
  const file = await download;
  const csv = fs.readFileSync(await file.path(), 'utf8');
  // Russian Excel ready: BOM, ';', Russian headers, decimal comma.
  assert.equal(csv.charCodeAt(0), 0xfeff);
  assert.match(csv.split('\r\n')[0], /^\uFEFFСегмент;Название;Человек;Премия, ₽ в год \(оптимистичный\)/);
  assert.equal(csv.trim().split('\r\n').length, segments + 2);
  assert.doesNotMatch(csv.split('\r\n')[1], /\d\.\d/);
  assert.match(csv.split('\r\n')[1], /;\d+,\d+/);
  await page.locator('#results').scrollIntoViewIfNeeded();
  await shot(page, 'hr-quote-desktop');
  await page.setViewportSize(PHONE);
  await shot(page, 'hr-quote-phone');
  await page.setViewportSize(DESKTOP);
  await page.click('#lang-switch');
  assert.match(await page.textContent('#quote-table tr.total'), /Total/);
  await page.click('#lang-switch');

  // Two designs side by side.
  await page.click('#compare-run');
  await page.waitForSelector('#chart-compare svg');
  assert.equal(await page.locator('#compare-table thead th').count(), 3);
  await page.locator('#compare-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-compare-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: budget per segment picks designs within budget and prices them', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  await page.click('#census-sample');
  await page.waitForFunction(() => document.getElementById('census').value.split('\n').length > 50);
  await page.waitForSelector('#plan option[value="base-2026"]', { state: 'attached' });
  await page.selectOption('#plan', 'base-2026');
  await page.check('input[name=mode][value=budget]');
  await page.fill('#budget-0', '30000');
  await page.click('#quote-run');
  await page.waitForSelector('#budget-table', { timeout: 60000 });
  await page.waitForSelector('#chart-segments svg');
  assert.equal(await page.locator('#budget-table tbody tr').count(), 1);
  // A budget below any design is reported next to that segment's budget.
  await page.fill('#budget-0', '0');
  await page.click('#quote-run');
  await page.waitForSelector('#budget-0-error:not([hidden]), #plan-error:not([hidden])');
  await shot(page, 'hr-budget-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: payment model card compares the fixed premium with pay-as-you-go', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  await page.click('#census-sample');
  await page.waitForFunction(() => document.getElementById('census').value.split('\n').length > 50);
  await page.waitForSelector('#plan option[value="base-2026"]', { state: 'attached' });
  await page.selectOption('#plan', 'base-2026');
  await page.selectOption('#funding-stop-loss', 'p95');
  await page.click('#funding-run');
  await page.waitForSelector('#funding-table tr[data-model="pay_as_you_go_stop_loss"]', { timeout: 60000 });
  assert.equal(await page.locator('#funding-table tbody tr').count(), 3);
  assert.match(await page.textContent('#funding-notes'), /P95/);
  await page.locator('#funding-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-funding-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: elections list shows the submitted election; payroll export downloads', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  await page.click('#elections-load');
  await page.waitForSelector(`#elections-table tr[data-employee="${EMPLOYEE}"]`);
  assert.match(await page.textContent(`#elections-table tr[data-employee="${EMPLOYEE}"]`), /отправлен/);
  const download = page.waitForEvent('download');
  await page.click('#payroll');
  const file = await download;
  const csv = fs.readFileSync(await file.path(), 'utf8');
  assert.ok(csv.length > 0);
  await page.locator('#elections-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-elections-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('errors and warnings follow the language: API by Accept-Language, pages in theirs', async () => {
  const page = await open('/hr.html');
  // The API: the same fault, its code fixed, its message in either language.
  const ask = (lang) => page.evaluate(async ([key, l]) => {
    const r = await fetch('/v1/quotes', { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Accept-Language': l },
      body: JSON.stringify({ plan: { name: 'x', period: { from: '2026-01-01', to: '2026-12-31' }, segments: [{ code: 'all', network: 'gold', modules: [{ module: 'outpatient' }] }] }, census_csv: 'employee_id;relation;birth_date;sex;region\n1;employee;1980-01-01;F;Москва\n' }) });
    return { status: r.status, body: await r.json() };
  }, [HR_KEY, lang]);
  const ru = await ask('ru-RU,ru;q=0.9');
  const en = await ask('en');
  assert.equal(ru.status, 422);
  assert.equal(ru.body.error.code, en.body.error.code);
  assert.equal(ru.body.error.path, en.body.error.path);
  assert.match(ru.body.error.message, /[А-Яа-яЁё]/, ru.body.error.message);
  assert.doesNotMatch(en.body.error.message, /[А-Яа-яЁё]/, en.body.error.message);
  assert.equal(ru.body.error.message_ru, undefined, 'one language per answer');
  assert.equal(en.body.error.message_ru, undefined, 'one language per answer');

  // The page: a census city not in the tariff is a warning in Russian, then in English.
  await signIn(page, HR_KEY);
  await page.waitForSelector('#plan option[value="base-2026"]', { state: 'attached' });
  await page.fill('#census', 'Табельный номер;Степень родства;Дата рождения;Пол;Город\n1;сотрудник;01.02.1985;Ж;Тула\n2;сотрудник;01.02.1990;М;Москва\n');
  await page.click('#quote-run');
  await page.waitForSelector('#warnings p');
  assert.match(await page.textContent('#warnings'), /региона «Тула» нет в тарифе/);
  assert.doesNotMatch(await page.textContent('#warnings'), /is not in the tariff/);
  await page.click('#lang-switch');
  const again = page.waitForResponse((r) => r.url().endsWith('/v1/quotes'));
  await page.click('#quote-run');
  await again;
  await page.waitForFunction(() => /region 'Тула' is not in the tariff/.test(document.getElementById('warnings').textContent));
  await page.click('#lang-switch');
  // A wrong HR key is refused at sign-in, in Russian, and never shown as signed in.
  await signIn(page, 'dms_0000000000000000000000000000000000000000000000000000000000000000');
  await page.waitForSelector('#key-error:not([hidden])');
  assert.match(await page.textContent('#key-error'), /Ключ не подошёл: ключ доступа неизвестен или отозван/);
  assert.doesNotMatch(await page.textContent('#auth-state'), /Вы вошли/);
  await shot(page, 'hr-wrong-key-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('employee: what an option adds to my deduction is the difference of two drafts', async () => {
  const page = await open('/employee.html');
  await signIn(page, EMP_KEY);
  await page.waitForSelector('#picker:not([hidden]) #options li');
  // Base modules once, as included; not also offered as unavailable options.
  const base = await page.locator('#base-list li').allTextContents();
  assert.ok(base.some((t) => /Телемедицина/.test(t) && /включено/.test(t)), base.join('|'));
  assert.equal(await page.locator('#opt-telemedicine').count(), 0);
  // Start from an empty draft, then add options one by one.
  while (await page.locator('#options input[type=checkbox]:checked').count() > 0) {
    const saved = page.waitForResponse((r) => r.url().endsWith('/v1/me/election') && r.request().method() === 'PUT');
    await page.locator('#options input[type=checkbox]:checked').first().uncheck();
    await saved;
  }
  for (const code of ['dental_standard', 'hospital_planned', 'mental_health']) {
    const before = await page.evaluate(() => Number(document.querySelector('#totals tr[data-row="me"] td[data-period="month"]').textContent.replace(/[^\d,]/g, '').replace(',', '.')));
    const shown = Number(await page.getAttribute(`[data-marginal="${code}"]`, 'data-value'));
    assert.match(await page.textContent(`[data-marginal="${code}"]`), /^\+.*₽ в месяц/);
    const saved = page.waitForResponse((r) => r.url().endsWith('/v1/me/election') && r.request().method() === 'PUT');
    await page.check(`#opt-${code}`);
    const after = (await (await saved).json()).cost.employee_month;
    await page.waitForFunction((v) => document.querySelector('#totals tr[data-row="me"] td[data-period="month"]').textContent.replace(/\s/g, '').startsWith(v),
      new Intl.NumberFormat('ru-RU', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(after).replace(/\s/g, ''));
    assert.ok(Math.abs(after - before - shown) < 0.005, `${code}: ${after} - ${before} != ${shown}`);
  }
  // Totals a month and a year, employer and me; my expected cost a year.
  assert.equal(await page.locator('#totals tbody tr').count(), 3);
  assert.match(await page.textContent('#totals tr[data-row="employer"]'), /₽.*₽/);
  assert.equal(await page.locator('#expected .oop.total strong').count(), 3);
  assert.doesNotMatch(await page.textContent('#budget-card'), /null|undefined|NaN/);
  // Left credits and the cap are said apart.
  assert.match(await page.textContent('#budget-left li[data-left="credits"]'), /Баллов работодателя осталось: .*₽ в год/);
  assert.match(await page.textContent('#budget-left li[data-left="cap"]'), /До предела доплаты осталось: .*₽ в год/);
  // Two sets side by side: mine, and mine without mental health.
  await page.click('#compare-add');
  await page.waitForSelector('#compare thead th[data-set="0"]');
  const saved = page.waitForResponse((r) => r.url().endsWith('/v1/me/election') && r.request().method() === 'PUT');
  await page.uncheck('#opt-mental_health');
  await saved;
  await page.click('#compare-add');
  await page.waitForSelector('#compare thead th[data-set="1"]');
  assert.equal(await page.locator('#compare tbody tr').count(), 6);
  await page.locator('#compare-card').scrollIntoViewIfNeeded();
  await shot(page, 'employee-compare-desktop');
  // The over-budget fault is in Russian only.
  for (const code of ['dental_business', 'mental_health']) {
    const put = page.waitForResponse((r) => r.url().endsWith('/v1/me/election') && r.request().method() === 'PUT');
    await page.check(`#opt-${code}`);
    await put;
  }
  await page.waitForSelector('#budget-error:not([hidden])');
  const fault = await page.textContent('#budget-error');
  assert.match(fault, /[А-Яа-я]/);
  assert.doesNotMatch(fault, /salary top-up|the cap/, fault);
  for (const code of ['dental_business', 'mental_health']) {
    const put = page.waitForResponse((r) => r.url().endsWith('/v1/me/election') && r.request().method() === 'PUT');
    await page.uncheck(`#opt-${code}`);
    await put;
  }
  // Submitted again for the HR tests that follow.
  await page.click('#submit');
  await page.waitForSelector('#submitted:not([hidden])');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: elections with filters, accept and reject, history, and a message when empty', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  await page.waitForFunction(() => /HR/.test(document.getElementById('auth-state').textContent) && !/Проверяем/.test(document.getElementById('auth-state').textContent));
  await page.selectOption('#el-status', 'rejected');
  await page.waitForSelector('#elections-empty:not([hidden])');
  assert.match(await page.textContent('#elections-empty'), /Пока никто/);
  await page.selectOption('#el-status', '');
  await page.waitForSelector(`#elections-table tr[data-employee="${EMPLOYEE}"]`);
  // A rejection needs a reason: refused at the reason, in Russian.
  await page.click(`#elections-table tr[data-employee="${EMPLOYEE}"] button[data-action="reject"]`);
  await page.waitForSelector('#elections-error:not([hidden])');
  assert.match(await page.textContent('#elections-error'), /[А-Яа-я]/);
  await page.fill('#el-reason', 'нет подписи');
  await page.click(`#elections-table tr[data-employee="${EMPLOYEE}"] input[type=checkbox]`);
  await page.click('#el-accept-bulk');
  await page.waitForSelector('#elections-done:not([hidden])');
  await page.waitForFunction((emp) => /принят/.test(document.querySelector(`#elections-table tr[data-employee="${emp}"]`).textContent), EMPLOYEE);
  await page.click(`#elections-table tr[data-employee="${EMPLOYEE}"] button[data-action="history"]`);
  await page.waitForSelector('#election-history-list li');
  assert.match(await page.textContent('#election-history-list'), /принят/);
  await page.locator('#elections-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-elections-actions-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: the plan builder writes the plan the API takes and re-prices on each change', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  await page.click('#census-sample');
  await page.waitForFunction(() => document.getElementById('census').value.split('\n').length > 50);
  await page.waitForSelector('#plan option[value="personalised-2026"]', { state: 'attached' });
  await page.selectOption('#plan', 'personalised-2026');
  await page.waitForSelector('#builder fieldset[data-segment="1"] tr[data-module="hospital_planned"]');
  // The tariff's allowed values only.
  const deductibles = await page.locator('#builder fieldset[data-segment="0"] tr[data-module="outpatient"] [data-field=deductible] option').allTextContents();
  assert.equal(deductibles.length, 6);
  const copays = await page.locator('#builder fieldset[data-segment="0"] tr[data-module="outpatient"] [data-field=copay] option').allTextContents();
  assert.deepEqual(copays, ['0 %', '10 %', '20 %', '30 %', '50 %']);
  await page.click('#quote-run');
  await page.waitForSelector('#builder-price[data-total]');
  const before = Number(await page.getAttribute('#builder-price', 'data-total'));
  // A 30 % co-pay on outpatient care for the first segment: cheaper.
  const repriced = page.waitForResponse((r) => r.url().endsWith('/v1/quotes'));
  await page.selectOption('#builder fieldset[data-segment="0"] tr[data-module="outpatient"] [data-field=copay]', '0.3');
  const body = JSON.parse((await repriced).request().postData());
  await page.waitForFunction((b) => Number(document.getElementById('builder-price').dataset.total) !== b, before);
  const after = Number(await page.getAttribute('#builder-price', 'data-total'));
  assert.ok(after < before, `${after} < ${before}`);
  const outpatient = body.plan.segments[0].modules.find((m) => m.module === 'outpatient');
  assert.equal(outpatient.copay, 0.3);
  // The JSON beside is the very plan sent.
  assert.deepEqual(JSON.parse(await page.inputValue('#plan-json')), body.plan);
  assert.match(await page.textContent('#builder-price'), /в год/);
  // Who pays: the employer's share of the first segment.
  const shared = page.waitForResponse((r) => r.url().endsWith('/v1/quotes'));
  await page.fill('#b-0-share', '70');
  await page.locator('#b-0-share').dispatchEvent('change');
  assert.equal(JSON.parse((await shared).request().postData()).plan.segments[0].employer_share, 0.7);
  await page.locator('#design-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-builder-desktop');

  // The budget's chosen design in full: every module with its terms.
  await page.selectOption('#plan', 'base-2026');
  await page.check('input[name=mode][value=budget]');
  await page.fill('#budget-0', '40000');
  await page.click('#quote-run');
  await page.waitForSelector('#budget-table li[data-module]', { timeout: 60000 });
  const terms = await page.locator('#budget-table li[data-module]').allTextContents();
  assert.ok(terms.length >= 3, terms.join('|'));
  assert.ok(terms.every((t) => /: (.*(франшиза|соплатёж|лимит)|без франшизы)/.test(t)), terms.join('|'));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('bank: price to the target loss ratio with its breakdown, sensitivity, 12-month projection', async () => {
  const page = await open('/bank.html');
  await signIn(page, HR_KEY);
  await page.waitForSelector('#breakdown tfoot tr');
  const api = await page.evaluate(async (key) => (await fetch('/v1/bank/price', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` }, body: '{}' })).json(), HR_KEY);
  assert.equal(Number(await page.getAttribute('#price-headline', 'data-price')), api.monthly.price);
  assert.match(await page.textContent('#price-headline'), /₽ в месяц за карту/);
  // The breakdown adds up to the price, to the kopeck.
  const parts = await page.evaluate(() => [...document.querySelectorAll('#breakdown tbody td:nth-child(2)')]
    .map((td) => Number(td.textContent.replace(/[^\d,]/g, '').replace(',', '.'))));
  assert.equal(parts.length, 4);
  assert.ok(Math.abs(parts.reduce((a, b) => a + b, 0) - api.monthly.price) < 0.005);
  // Each sensitivity's current point is the API's price; more anti-selection
  // or a lower target costs more, a higher commission at a fixed margin too.
  for (const id of ['sens-anti', 'sens-lr', 'sens-commission']) {
    assert.equal(Number(await page.getAttribute(`#${id} tr.current`, 'data-price')), api.monthly.price, id);
    const prices = await page.evaluate((tid) => [...document.querySelectorAll(`#${tid} tbody tr`)].map((tr) => Number(tr.dataset.price)), id);
    const sorted = [...prices].sort((a, b) => a - b);
    assert.deepEqual(id === 'sens-lr' ? [...prices].reverse() : prices, sorted, `${id}: ${prices}`);
  }
  // The projection: 12 months, a bar per month and series, the KPIs.
  await page.waitForSelector('#months tbody tr[data-month="12"]');
  assert.equal(await page.locator('#months tbody tr').count(), 12);
  assert.equal(await page.locator('#chart-projection svg rect.bar').count(), 36);
  assert.equal(await page.locator('#kpi li').count(), 4);
  const first = await page.textContent('#kpi li[data-kpi="premium"] strong');
  await page.fill('#p-cards', '40000');
  await page.click('#projection-run');
  await page.waitForFunction((f) => document.querySelector('#kpi li[data-kpi="premium"] strong').textContent !== f, first);
  // A bad input is refused in Russian next to the form.
  await page.fill('#p-uptake', '150');
  await page.click('#projection-run');
  await page.waitForSelector('#projection-error:not([hidden])');
  assert.match(await page.textContent('#projection-error'), /[А-Яа-я]/);
  await page.fill('#p-uptake', '6');
  await page.click('#projection-run');
  await page.waitForSelector('#projection-error', { state: 'hidden' });
  await shot(page, 'bank-desktop');
  await page.setViewportSize(PHONE);
  await shot(page, 'bank-phone');
  assert.deepEqual(page.problems.filter((p) => !/^4\d\d|422/.test(p)), []);
  await page.close();
});

test('HR: claims reports with suppression, in Russian, and as CSV', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  await page.setInputFiles('#rep-register', path.resolve('../../examples/claims/register-2025.csv'));
  await page.setInputFiles('#rep-membership', path.resolve('../../examples/claims/membership-2025.csv'));
  await page.selectOption('#rep-name', 'utilisation');
  await page.click('#rep-run');
  await page.waitForSelector('#rep-table tbody tr');
  // Small cells are hidden and said to be, never shown as numbers.
  const hidden = await page.locator('#rep-table td.suppressed').count();
  assert.ok(hidden > 0, 'some cells are suppressed');
  assert.equal(Number(await page.getAttribute('#rep-note', 'data-suppressed')) > 0, true);
  assert.match(await page.textContent('#rep-note'), /Скрыто ячеек: \d+ \(меньше 5 человек/);
  assert.match(await page.getAttribute('#rep-table td.suppressed', 'title'), /меньше 5 человек/);
  // The diagnosis column is dropped, and the warning says so in Russian.
  assert.match(await page.textContent('#rep-note'), /Диагноз/);
  // A floor under 5 is refused at the field, in Russian.
  await page.fill('#rep-min', '3');
  await page.click('#rep-run');
  await page.waitForSelector('#rep-error:not([hidden])');
  assert.match(await page.textContent('#rep-error'), /[А-Яа-я]/);
  await page.fill('#rep-min', '5');
  const download = page.waitForEvent('download');
  await page.click('#rep-csv');
  const csv = fs.readFileSync(await (await download).path(), 'utf8');
  assert.equal(csv.charCodeAt(0), 0xfeff);
  assert.match(csv.split(/\r?\n/)[0], /;/);
  await page.locator('#reports-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-reports-desktop');
  await page.setViewportSize(PHONE);
  await noHorizontalOverflow(page);
  await shot(page, 'hr-reports-phone');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('HR: an unknown module is reported at its segment of the plan, in Russian; keyboard reaches the form', async () => {
  const page = await open('/hr.html');
  // Keyboard only: Tab from the top reaches the key field, typing and Enter sign in.
  await page.focus('#lang-switch');
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'key');
  }
  assert.ok(reached, 'Tab reaches the key field');
  await page.keyboard.type(HR_KEY);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /Вы вошли как HR/.test(document.getElementById('auth-state').textContent));
  await page.click('#census-sample');
  await page.waitForFunction(() => document.getElementById('census').value.split('\n').length > 50);
  await page.waitForSelector('#plan option[value="base-2026"]', { state: 'attached' });
  const plan = JSON.parse(await page.inputValue('#plan-json'));
  plan.segments[0].modules.push({ module: 'spa' });
  await page.evaluate((text) => { const t = document.getElementById('plan-json'); t.value = text; }, JSON.stringify(plan));
  await page.click('#quote-run');
  await page.waitForSelector('#b-0-error:not([hidden]), #plan-error:not([hidden])');
  const where = await page.isVisible('#b-0-error') ? '#b-0-error' : '#plan-error';
  assert.equal(where, "#b-0-error");
  assert.match(await page.textContent(where), /модуля «spa» нет в «corporate-2026/);
  assert.equal(await page.isHidden('#quote-error'), true, 'not under the button');
  await page.locator(where).scrollIntoViewIfNeeded();
  await shot(page, 'hr-plan-error-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('phone 390x844: every page fits the screen, charts readable; axe finds nothing serious', async () => {
  const report = [];
  for (const [name, pathname, setup] of [
    ['home', '/', async () => {}],
    ['employee', '/employee.html', async (page) => {
      await signIn(page, EMP_KEY);
      await page.waitForSelector('#picker:not([hidden]) #options li');
      await page.waitForSelector('#totals tbody tr');
    }],
    ['bank', '/bank.html', async (page) => {
      await signIn(page, HR_KEY);
      await page.waitForSelector('#breakdown tfoot tr');
      await page.waitForSelector('#chart-projection svg');
    }],
    ['hr', '/hr.html', async (page) => {
      await signIn(page, HR_KEY);
      await page.click('#census-sample');
      await page.waitForFunction(() => document.getElementById('census').value.split('\n').length > 50);
      await page.waitForSelector('#plan option[value="personalised-2026"]', { state: 'attached' });
      await page.selectOption('#plan', 'personalised-2026');
      await page.click('#quote-run');
      await page.waitForSelector('#chart-segments svg');
      await page.click('#elections-load');
      await page.waitForSelector('#elections-table tr[data-employee]');
    }],
  ]) {
    for (const [vname, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const page = await open(pathname, viewport);
      await setup(page);
      await shot(page, `${name}-full-${vname}`);
      if (vname === 'phone') {
        await noHorizontalOverflow(page);
        if (name === 'hr' || name === 'bank') {
          assert.deepEqual(await cutChartText(page), []);
          const small = await smallestChartText(page);
          assert.ok(small >= 11, `chart text ${small.toFixed(1)} px on a phone`);
          // Axis labels in the Russian format: «млн ₽», decimal comma, never «5.0 млн».
          const axis = await page.locator(name === 'hr' ? '#chart-segments svg text.axis' : '#chart-projection svg text.axis').allTextContents();
          assert.ok(axis.some((t) => /(тыс|млн) ₽$/.test(t)), axis.join('|'));
          assert.ok(axis.every((t) => !/\d\.\d/.test(t)), axis.join('|'));
        }
      }
      report.push(...(await axeSerious(page)).map((v) => `${name}/${vname}: ${v}`));
      assert.deepEqual(page.problems, []);
      await page.close();
    }
  }
  assert.deepEqual(report, []);
});

test('HR: register upload shows row errors, then the list, a history and the XLSX download', async () => {
  const page = await open('/hr.html');
  await signIn(page, HR_KEY);
  const header = 'Действие;Дата действия;Номер полиса;Табельный номер;Связь;ФИО;Подразделение;Программа\n';
  const bad = `${header}прикрепить;01.01.2026;E2E-1;100007;сотрудник;Иванов Иван;Sales;young\n`
    + 'уволить;01.01.2026;E2E-2;100014;сотрудник;Петров Пётр;Finance;senior\n'
    + 'открепить;01.01.2026;E2E-404;;;;;\n';
  await page.setInputFiles('#reg-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.click('#reg-upload');
  await page.waitForSelector('#reg-issues li[data-line="3"]');
  assert.match(await page.textContent('#reg-issues li[data-line="3"]'), /строка 3, столбец 1: неизвестное действие/);
  assert.match(await page.textContent('#reg-issues li[data-line="4"]'), /E2E-404/);
  assert.match(await page.textContent('#reg-result'), /Ничего не применено, ошибок: 2/);
  await page.locator('#register-card').scrollIntoViewIfNeeded();
  await shot(page, 'hr-register-errors-desktop');

  const good = `${header}прикрепить;01.01.2026;E2E-1;100007;сотрудник;Иванов Иван;Sales;young\n`
    + 'прикрепить;01.01.2026;E2E-2;100014;сотрудник;Петров Пётр;Finance;senior\n'
    + 'изменить программу;01.02.2026;E2E-2;;;;;other\n';
  await page.setInputFiles('#reg-file', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.click('#reg-upload');
  await page.waitForSelector('#reg-table tr[data-policy="E2E-2"]');
  assert.match(await page.textContent('#reg-result'), /Применено изменений: 3/);
  assert.match(await page.textContent('#reg-table tr[data-policy="E2E-2"]'), /Петров Пётр.*Finance.*other.*включён/);
  // Filter by department: only Finance.
  await page.fill('#reg-department', 'Finance');
  await page.click('#reg-show');
  await page.waitForFunction(() => document.querySelectorAll('#reg-table tbody tr').length === 1);
  // A person's history: attach, then the programme change.
  await page.click('#reg-table tr[data-policy="E2E-2"]');
  await page.waitForSelector('#reg-history-table tbody tr:nth-child(2)');
  assert.match(await page.textContent('#reg-history-table tbody tr:nth-child(2)'), /изменить программу.*01\.02\.2026.*other/);
  await shot(page, 'hr-register-desktop');
  const download = page.waitForEvent('download');
  await page.click('#reg-list-xlsx');
  const file = await download;
  const bytes = fs.readFileSync(await file.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK');
  await page.setViewportSize(PHONE);
  await shot(page, 'hr-register-phone');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('cabinet: an employee files a request with a receipt; HR sees it without the diagnosis', async () => {
  const page = await open('/employee.html');
  await signIn(page, EMP_KEY);
  await page.waitForSelector('#cab-form');
  await page.fill('#cab-date', '2025-11-18');
  await page.selectOption('#cab-category', 'Стоматология');
  await page.fill('#cab-amount', '4500.00');
  await page.fill('#cab-clinic', 'Клиника «Улыбка»');
  await page.fill('#cab-diagnosis', 'K02.1');
  await page.setInputFiles('#cab-file', path.resolve('../../examples/finance/receipt-2026-02-18.pdf'));
  await page.click('#cab-send');
  await page.waitForFunction(() => /Стоматология[\s\S]*4 500,00 ₽[\s\S]*подано/.test(
    document.querySelector('#cab-requests-body')?.textContent || ''));
  await page.locator('#cab-requests').scrollIntoViewIfNeeded();
  await shot(page, 'employee-requests-desktop');
  assert.deepEqual(page.problems, []);
  await page.close();

  const hr = await open('/hr.html');
  await signIn(hr, HR_KEY);
  await hr.waitForFunction(() => /Стоматология/.test(document.querySelector('#cab-hr-requests-body')?.textContent || ''));
  const text = await hr.textContent('main');
  assert.ok(!text.includes('K02.1'), 'the diagnosis never reaches the HR page');
  assert.ok(!text.includes('Улыбка'), 'nor the clinic of a request');
  await hr.locator('#cab-hr-requests').scrollIntoViewIfNeeded();
  await shot(hr, 'hr-requests-desktop');
  assert.deepEqual(hr.problems, []);
  await hr.close();
});
