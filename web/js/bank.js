// The bank page for the card add-on's product manager: the monthly price to
// the target loss ratio with its breakdown (POST /v1/bank/price), how the
// price moves with anti-selection, the target loss ratio and the bank's
// commission, and the 12-month portfolio projection with its KPIs and chart
// (POST /v1/bank/projection). The sensitivity applies the API's own price
// rule (expected claims / target, rounded up to a kopeck) to the API's
// figures, so its current point is the API's price to the kopeck.
'use strict';

const bank = { price: null, projection: null };
const $b = (id) => document.getElementById(id);

const pctText = (v, digits = 0) => `${new Intl.NumberFormat(I18N.lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v * 100)} %`;
const intText = (v) => new Intl.NumberFormat(I18N.lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: 0 }).format(v);

// The smallest whole-kopeck monthly price whose claims meet the target.
function priceFor(monthlyClaims, target) {
  return Math.ceil((monthlyClaims / target) * 100 - 1e-6) / 100;
}

// Monthly expected claims at anti-selection load `anti` on the base claims.
function claimsFor(annualBase, anti) {
  return Math.round((annualBase * (1 + anti) / 12) * 100) / 100;
}

async function loadPrice() {
  clearErrors($b('price-card'));
  const res = await Api.call('POST', '/v1/bank/price', {});
  if (!res.ok) { showError(res.error, {}, $b('price-error')); return; }
  bank.price = res.data;
  renderPrice();
}

function renderPrice() {
  const p = bank.price;
  if (!p) return;
  const m = p.monthly;
  $b('price-rule').textContent = I18N.lang === 'ru'
    ? `Целевая убыточность ${pctText(p.ratios.target_loss_ratio)}: наименьшая цена в копейках, при которой ожидаемые выплаты / цена ≤ цели.`
    : `Target loss ratio ${pctText(p.ratios.target_loss_ratio)}: the smallest price in kopecks with expected claims / price <= the target.`;
  $b('price-headline').textContent = I18N.t('bank.price.headline').replace('{price}', money(m.price, { digits: 2 })).replace('{year}', money(p.annual.price, { digits: 2 }));
  $b('price-headline').dataset.price = String(m.price);
  const row = (key, value) => el('tr', { 'data-part': key }, el('th', { scope: 'row', text: I18N.t(`bank.${key}`) }),
    el('td', { class: 'num', text: money(value, { digits: 2 }) }), el('td', { class: 'num', text: pctText(value / m.price, 1) }));
  $b('breakdown').replaceChildren(
    el('thead', {}, el('tr', {}, ...['bank.part', 'bank.month', 'bank.share'].map((k) => el('th', { scope: 'col', text: I18N.t(k) })))),
    el('tbody', {}, row('claims', m.expected_claims), row('commission', m.bank_commission), row('expense', m.insurer_expense), row('profit', m.insurer_profit)),
    el('tfoot', {}, el('tr', { class: 'total', 'data-part': 'total' }, el('th', { scope: 'row', text: I18N.t('bank.total') }),
      el('td', { class: 'num', text: money(m.price, { digits: 2 }) }), el('td', { class: 'num', text: pctText(1) }))));
  const base = p.annual.expected_claims_base;
  const anti = Math.round((p.annual.anti_selection / base) * 1000) / 1000;
  const claims = p.monthly.expected_claims;
  const target = p.ratios.target_loss_ratio;
  const margin = p.ratios.insurer_margin;
  const commission = p.ratios.bank_commission;
  const table = (id, label, points, current, fmt, price) => {
    $b(id).replaceChildren(
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: label }), el('th', { scope: 'col', class: 'num', text: I18N.t('bank.price.month') }))),
      el('tbody', {}, ...points.map((x) => {
        const now = Math.abs(x - current) < 1e-9;
        const v = price(x);
        return el('tr', { class: now ? 'current' : '', 'data-x': String(x), 'data-price': String(v) },
          el('th', { scope: 'row', text: fmt(x) }), el('td', { class: 'num', text: money(v, { digits: 2 }) }));
      })));
  };
  const around = (c, step, n = 2) => [...Array(2 * n + 1).keys()].map((k) => Math.round((c + (k - n) * step) * 1000) / 1000).filter((x) => x >= 0);
  table('sens-anti', I18N.t('bank.anti'), around(anti, 0.1), anti, (x) => pctText(x), (x) => (Math.abs(x - anti) < 1e-9 ? priceFor(claims, target) : priceFor(claimsFor(base, x), target)));
  table('sens-lr', I18N.t('bank.lr'), around(target, 0.05).filter((x) => x > 0 && x < 1), target, (x) => pctText(x), (x) => priceFor(claims, x));
  table('sens-commission', I18N.t('bank.commission.rate'), around(commission, 0.05).filter((x) => x + margin < 1), commission, (x) => pctText(x),
    (x) => priceFor(claims, Math.round((1 - x - margin) * 1000) / 1000));
}

async function loadProjection() {
  clearErrors($b('projection-card'));
  const projection = {
    cards: Number($b('p-cards').value), months: 12, uptake: Number($b('p-uptake').value) / 100,
    lapse: Number($b('p-lapse').value) / 100, new_sales: Number($b('p-sales').value),
  };
  const res = await Api.call('POST', '/v1/bank/projection', { projection });
  if (!res.ok) {
    const fields = { '/projection/cards': $b('projection-error'), '/projection/uptake': $b('projection-error'), '/projection/lapse': $b('projection-error'), '/projection/new_sales': $b('projection-error') };
    showError(res.error, fields, $b('projection-error'));
    return;
  }
  bank.projection = res.data;
  renderProjection();
}

function renderProjection() {
  const d = bank.projection;
  if (!d) return;
  const t = d.totals;
  const kpi = (key, text) => el('li', { 'data-kpi': key }, el('span', { class: 'muted', text: I18N.t(`bank.kpi.${key}`) }), el('strong', { text }));
  $b('kpi').replaceChildren(kpi('premium', money(t.premium)), kpi('lr', pctText(t.loss_ratio, 1)),
    kpi('penetration', pctText(d.kpi.penetration_final, 1)), kpi('arpu', money(d.kpi.arpu_uplift_per_month, { digits: 2 })));
  const series = [
    { key: 'premium', label: I18N.t('bank.m.premium'), color: '#1f5fa8' },
    { key: 'commission', label: I18N.t('bank.m.commission'), color: '#8a5a00' },
    { key: 'claims', label: I18N.t('bank.m.claims'), color: '#b3261e' },
  ];
  $b('chart-projection').replaceChildren(barChart({
    title: I18N.t('bank.chart'), series,
    groups: d.months.map((m) => ({ label: String(m.month), values: { premium: m.premium, commission: m.bank_commission, claims: m.expected_claims } })),
  }));
  const head = ['bank.m.month', 'bank.m.active', 'bank.m.premium', 'bank.m.commission', 'bank.m.claims', 'bank.m.band', 'bank.m.lr'];
  $b('months').replaceChildren(
    el('thead', {}, el('tr', {}, ...head.map((k, i) => el('th', { scope: 'col', class: i ? 'num' : '', text: I18N.t(k) })))),
    el('tbody', {}, ...d.months.map((m) => el('tr', { 'data-month': m.month },
      el('th', { scope: 'row', text: String(m.month) }), el('td', { class: 'num', text: intText(m.active) }),
      el('td', { class: 'num', text: money(m.premium) }), el('td', { class: 'num', text: money(m.bank_commission) }),
      el('td', { class: 'num', text: money(m.expected_claims) }),
      el('td', { class: 'num', text: `${money(m.claims_p5)} – ${money(m.claims_p95)}` }),
      el('td', { class: 'num', text: pctText(m.loss_ratio, 1) })))));
}

document.addEventListener('DOMContentLoaded', () => {
  Api.loadKey('bank');
  $b('key').value = Api.key;
  $b('auth-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    Api.saveKey($b('key').value);
    loadPrice();
    loadProjection();
  });
  $b('projection-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadProjection(); });
  I18N.onChange(() => { renderPrice(); renderProjection(); });
  if (Api.key) { loadPrice(); loadProjection(); }
});
