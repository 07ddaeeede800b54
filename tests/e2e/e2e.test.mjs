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
  assert.match(csv.split('\r\n')[0], /^segment;name_ru;name_en;people;optimistic_gross_premium/);
  assert.equal(csv.trim().split('\r\n').length, segments + 2);
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
