// The HR page: census upload, a ready-made plan or a budget per head per
// segment, the quote per segment under three scenarios with SVG charts, the
// quote as CSV, side-by-side comparison of designs, the elections list and
// the payroll export. Every API fault is shown next to the field it names.
'use strict';

const PLANS = [
  { id: 'base-2026', file: '/plans/base-2026.json' },
  { id: 'personalised-2026', file: '/plans/personalised-2026.json' },
  { id: 'lean-2026', file: '/plans/lean-2026.json' },
];
const SCENARIOS = ['optimistic', 'base', 'pessimistic'];

const state = { plans: {}, quote: null, budget: null, compare: null, elections: null };
const $ = (id) => document.getElementById(id);

// "English / Русский" plan names: the part in the page's language.
function planName(plan) {
  const parts = String(plan.name || '').split(' / ');
  if (parts.length < 2) return plan.name || '';
  return I18N.lang === 'ru' ? parts[1] : parts[0];
}

function errorFields() {
  const perSegment = {};
  document.querySelectorAll('#builder fieldset[data-segment]').forEach((fs) => {
    perSegment[`/plan/segments/${fs.dataset.segment}`] = $(`b-${fs.dataset.segment}-error`);
    // The quote reports faults of its plan from the plan's own root.
    perSegment[`/segments/${fs.dataset.segment}`] = $(`b-${fs.dataset.segment}-error`);
  });
  return {
    ...perSegment,
    '': $('quote-error'),
    '/census_csv': $('census-error'),
    '/census': $('census-error'),
    '/plan': $('plan-error'),
    '/segments': $('plan-error'),
    '/period': $('plan-error'),
    '/plans': $('compare-error'),
    '/budgets': $('plan-error'),
  };
}

function currentPlan() {
  try {
    return JSON.parse($('plan-json').value);
  } catch (e) {
    return null;
  }
}

let keyChecked = false;

function setAuthState() {
  const signed = Boolean(Api.key) && keyChecked;
  $('signout').hidden = !Api.key;
  $('auth-state').textContent = signed ? `${I18N.t('hr.signed.as')} (${Api.key.slice(0, 8)}…)` : I18N.t('auth.hr.hint');
}

// The key is tried at once on an HR-only route: a wrong key is refused at
// sign-in, never shown as signed in.
async function checkKey() {
  clearErrors($('auth'));
  keyChecked = false;
  if (!Api.key) { setAuthState(); return false; }
  $('auth-state').textContent = I18N.t('hr.key.checking');
  const res = await Api.call('GET', '/v1/elections?status=issued');
  if (!res.ok) {
    showError({ ...res.error, message: `${I18N.t('hr.key.bad')}: ${res.error.message}` }, {}, $('key-error'));
    Api.saveKey('');
    setAuthState();
    return false;
  }
  keyChecked = true;
  setAuthState();
  loadTariff();
  return true;
}

async function loadPlans() {
  for (const p of PLANS) {
    const res = await Api.call('GET', p.file);
    if (res.ok && res.data) state.plans[p.id] = res.data;
  }
  renderPlanChoices();
  selectPlan($('plan').value || PLANS[0].id);
}

function renderPlanChoices() {
  const select = $('plan');
  const chosen = select.value;
  select.replaceChildren(...PLANS.filter((p) => state.plans[p.id]).map((p) => el('option', { value: p.id, text: planName(state.plans[p.id]) })));
  if (chosen) select.value = chosen;
  const pick = $('compare-pick');
  const ticked = new Set([...pick.querySelectorAll('input:checked')].map((i) => i.value));
  if (ticked.size === 0) { ticked.add('base-2026'); ticked.add('lean-2026'); }
  pick.replaceChildren(...PLANS.filter((p) => state.plans[p.id]).map((p) => el('label', {},
    el('input', { type: 'checkbox', value: p.id, checked: ticked.has(p.id), 'data-plan': p.id }), planName(state.plans[p.id]))));
}

function selectPlan(id) {
  $('plan').value = id;
  const plan = state.plans[id];
  if (plan) $('plan-json').value = JSON.stringify(plan, null, 2);
  renderBudgetInputs();
  renderBuilder();
}

// ---- the plan builder ---------------------------------------------------------
// The plan's terms as a form: per segment its network, the employer's share
// and every module of the tariff with its deductible, co-pay (from the
// tariff's allowed values) and annual limit. Every change rewrites the plan
// JSON the API takes and, with a census loaded, re-prices it.

state.tariff = null;
let repriceTimer = null;

async function loadTariff() {
  if (state.tariff || !Api.key) return;
  const res = await Api.call('GET', '/v1/tariffs/corporate-2026');
  if (res.ok) { state.tariff = res.data; renderBuilder(); }
}

// "0,1" -> "10 %"; a deductible or limit as money.
const pct = (v) => `${new Intl.NumberFormat(I18N.lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: 1 }).format(v * 100)} %`;

function renderBuilder() {
  const box = $('builder');
  const plan = currentPlan();
  const t = state.tariff;
  if (!t || !plan || !Array.isArray(plan.segments)) { box.replaceChildren(); return; }
  box.replaceChildren(el('h3', { text: I18N.t('hr.builder') }), ...plan.segments.map((seg, i) => {
    const byCode = Object.fromEntries((seg.modules || []).map((m) => [m.module, m]));
    const net = el('select', { id: `b-${i}-network`, 'data-field': 'network' },
      ...t.networks.map((n) => el('option', { value: n.code, text: I18N.name(n), selected: (seg.network || t.default_network) === n.code })));
    const share = el('input', { type: 'number', id: `b-${i}-share`, min: '0', max: '100', step: '5', 'data-field': 'share',
      value: String(Math.round((seg.employer_share === undefined ? 1 : seg.employer_share) * 100)) });
    const rows = t.modules.map((m, j) => {
      const cur = byCode[m.code];
      const id = `b-${i}-${m.code}`;
      const name = I18N.name(m);
      const on = el('input', { type: 'checkbox', id: `${id}-on`, checked: Boolean(cur), 'data-field': 'on', 'aria-label': `${I18N.t('hr.builder.on')}: ${name}` });
      const vol = el('input', { type: 'checkbox', id: `${id}-vol`, checked: Boolean(cur && cur.voluntary), 'data-field': 'voluntary', 'aria-label': `${I18N.t('hr.builder.voluntary')}: ${name}` });
      const claims = m.type !== 'flat';
      const ded = el('select', { id: `${id}-ded`, 'data-field': 'deductible', disabled: !claims, 'aria-label': `${I18N.t('hr.builder.deductible')}: ${name}` },
        ...t.deductibles.map((d) => el('option', { value: String(d), text: money(d), selected: Number((cur && cur.deductible) || 0) === d })));
      const cop = el('select', { id: `${id}-copay`, 'data-field': 'copay', disabled: !claims, 'aria-label': `${I18N.t('hr.builder.copay')}: ${name}` },
        ...t.copays.map((c) => el('option', { value: String(c), text: pct(c), selected: Number((cur && cur.copay) || 0) === c })));
      const lim = el('input', { type: 'number', id: `${id}-limit`, min: '0', step: '10000', 'data-field': 'limit', disabled: !claims || !m.annual_limit,
        max: m.annual_limit ? String(m.annual_limit) : undefined, placeholder: m.annual_limit ? String(m.annual_limit) : '—',
        value: cur && cur.annual_limit ? String(cur.annual_limit) : '', 'aria-label': `${I18N.t('hr.builder.limit')}: ${name}` });
      return el('tr', { 'data-module': m.code, 'data-row': j }, el('th', { scope: 'row', text: name }),
        el('td', {}, on), el('td', {}, vol), el('td', {}, ded), el('td', {}, cop), el('td', {}, lim));
    });
    const head = el('tr', {}, ...['hr.builder.module', 'hr.builder.on', 'hr.builder.voluntary', 'hr.builder.deductible', 'hr.builder.copay', 'hr.builder.limit']
      .map((k) => el('th', { scope: 'col', text: I18N.t(k) })));
    return el('fieldset', { class: 'segment', 'data-segment': i },
      el('legend', { text: I18N.name(seg) || seg.code }),
      el('div', { class: 'row' },
        el('div', {}, el('label', { for: `b-${i}-network`, text: I18N.t('hr.builder.network') }), net),
        el('div', {}, el('label', { for: `b-${i}-share`, text: I18N.t('hr.builder.share') }), share)),
      el('div', { class: 'field-error', id: `b-${i}-error`, role: 'alert', hidden: true }),
      el('div', { class: 'table-wrap', tabindex: '0' }, el('table', { class: 'builder-table sticky-first' }, el('thead', {}, head), el('tbody', {}, ...rows))));
  }));
  box.querySelectorAll('input, select').forEach((c) => c.addEventListener('change', builderChanged));
}

// The form -> the plan JSON (segments keep their code, names, rule).
function planFromBuilder() {
  const plan = currentPlan();
  const t = state.tariff;
  if (!plan || !t) return plan;
  plan.segments.forEach((seg, i) => {
    const fs = $('builder').querySelector(`fieldset[data-segment="${i}"]`);
    if (!fs) return;
    seg.network = fs.querySelector('[data-field=network]').value;
    const share = Number(fs.querySelector('[data-field=share]').value);
    if (Number.isFinite(share)) seg.employer_share = Math.min(100, Math.max(0, share)) / 100;
    const old = Object.fromEntries((seg.modules || []).map((m) => [m.module, m]));
    seg.modules = [];
    fs.querySelectorAll('tr[data-module]').forEach((tr) => {
      if (!tr.querySelector('[data-field=on]').checked) return;
      const code = tr.dataset.module;
      const mod = { ...(old[code] || {}), module: code };
      for (const k of ['deductible', 'copay', 'annual_limit', 'voluntary']) delete mod[k];
      const ded = tr.querySelector('[data-field=deductible]');
      const cop = tr.querySelector('[data-field=copay]');
      const lim = tr.querySelector('[data-field=limit]');
      if (!ded.disabled && Number(ded.value) > 0) mod.deductible = Number(ded.value);
      if (!cop.disabled && Number(cop.value) > 0) mod.copay = Number(cop.value);
      if (!lim.disabled && lim.value !== '') mod.annual_limit = Number(lim.value);
      if (tr.querySelector('[data-field=voluntary]').checked) mod.voluntary = true;
      seg.modules.push(mod);
    });
  });
  return plan;
}

function builderChanged() {
  const plan = planFromBuilder();
  if (!plan) return;
  $('plan-json').value = JSON.stringify(plan, null, 2);
  clearTimeout(repriceTimer);
  if (!census().trim()) { $('builder-price').textContent = I18N.t('hr.builder.needs.census'); return; }
  repriceTimer = setTimeout(runQuote, 400);
}

function renderBuilderPrice() {
  const q = state.quote;
  if (!q) return;
  const base = q.total.scenarios.base;
  $('builder-price').textContent = I18N.t('hr.builder.price').replace('{total}', money(base.gross_premium))
    .replace('{month}', money(base.gross_per_person_month, { digits: 2 }));
  $('builder-price').dataset.total = String(base.gross_premium);
}

function renderBudgetInputs() {
  const box = $('budgets');
  const plan = currentPlan();
  const mode = document.querySelector('input[name=mode]:checked').value;
  box.hidden = mode !== 'budget';
  if (!plan || !Array.isArray(plan.segments)) { box.replaceChildren(); return; }
  const old = {};
  box.querySelectorAll('input').forEach((i) => { old[i.dataset.segment] = i.value; });
  box.replaceChildren(el('p', { class: 'hint', text: I18N.t('hr.budget.per_head') }),
    ...plan.segments.map((s, i) => el('div', {},
      el('label', { for: `budget-${i}`, text: I18N.name(s) }),
      el('input', { type: 'number', id: `budget-${i}`, min: '1', step: '1000', 'data-segment': s.code, value: old[s.code] || '40000' }),
      el('div', { class: 'field-error', id: `budget-${i}-error`, hidden: true }))));
}

function census() {
  return $('census').value;
}

// ---- the quote ----------------------------------------------------------

async function runQuote() {
  clearErrors();
  const plan = currentPlan();
  if (!plan) {
    showError({ code: 'parse_error', message: I18N.lang === 'ru' ? 'Программа — не JSON' : 'The plan is not valid JSON', path: '/plan' }, errorFields());
    return;
  }
  $('quote-run').disabled = true;
  try {
    const mode = document.querySelector('input[name=mode]:checked').value;
    let quotePlan = plan;
    state.budget = null;
    if (mode === 'budget') {
      quotePlan = await runBudget(plan);
      if (!quotePlan) return;
    }
    const res = await Api.call('POST', '/v1/quotes', { plan: quotePlan, census_csv: census() });
    if (!res.ok) {
      showError(res.error, errorFields(), $('quote-error'));
      return;
    }
    state.quote = res.data;
    renderQuote();
    renderBuilderPrice();
  } finally {
    $('quote-run').disabled = false;
  }
}

// Budgets per segment -> the best design of each within its budget, as a
// plan the quote can price (segments keep their rules and shares).
async function runBudget(plan) {
  const segments = plan.segments.map((s, i) => {
    const out = { code: s.code, name_ru: s.name_ru, name_en: s.name_en, budget_per_head: Number($(`budget-${i}`).value) };
    if (s.rule) out.rule = s.rule;
    if (s.employer_share !== undefined) out.employer_share = s.employer_share;
    return out;
  });
  const budgets = { name: plan.name, period: plan.period, segments };
  if (plan.segment_by) budgets.segment_by = plan.segment_by;
  const res = await Api.call('POST', '/v1/budgets', { budgets, census_csv: census() }, { timeoutMs: 120000 });
  if (!res.ok) {
    const fields = errorFields();
    plan.segments.forEach((s, i) => { fields[`/budgets/segments/${i}`] = $(`budget-${i}-error`); });
    showError(res.error, fields, $('quote-error'));
    return null;
  }
  state.budget = res.data;
  const out = { name: `${plan.name}`, period: plan.period, segments: [] };
  if (plan.segment_by) out.segment_by = plan.segment_by;
  res.data.segments.forEach((s, i) => {
    const best = s.best_within_budget;
    if (!best) return;
    const seg = { code: s.code, name_ru: s.name_ru, name_en: s.name_en, network: best.network.code, modules: best.modules.map((m) => {
      const mod = { module: m.module };
      for (const k of ['deductible', 'copay', 'annual_limit']) if (m[k] !== undefined && m[k] !== null) mod[k] = m[k];
      return mod;
    }) };
    if (segments[i].rule) seg.rule = segments[i].rule;
    if (segments[i].employer_share !== undefined) seg.employer_share = segments[i].employer_share;
    out.segments.push(seg);
  });
  if (out.segments.length === 0) {
    showError({ code: 'invalid_parameter', message: I18N.lang === 'ru' ? 'Ни одна программа не укладывается в бюджет' : 'No design fits these budgets', path: '/budgets' }, errorFields());
    return null;
  }
  return out;
}

// "АПП: франшиза 500 ₽, соплатёж 10 %, лимит 500 000 ₽" for each module.
function moduleTerms(m) {
  const parts = [];
  if (m.deductible) parts.push(`${I18N.t('hr.terms.deductible')} ${money(m.deductible)}`);
  if (m.copay) parts.push(`${I18N.t('hr.terms.copay')} ${pct(m.copay)}`);
  if (m.annual_limit) parts.push(`${I18N.t('hr.terms.limit')} ${money(m.annual_limit)}`);
  return `${I18N.name(m)}: ${parts.length ? parts.join(', ') : I18N.t('hr.terms.none')}`;
}

function renderBudgetResult() {
  const box = $('budget-result');
  if (!state.budget) { box.replaceChildren(); return; }
  const rows = state.budget.segments.map((s) => {
    const best = s.best_within_budget;
    return el('tr', { 'data-segment': s.code },
      el('th', { scope: 'row', text: I18N.name(s) }),
      el('td', { class: 'num', text: money(s.budget_per_head) }),
      el('td', { text: best ? I18N.name(best.network) : '—' }),
      el('td', {}, best ? el('ul', { class: 'terms' }, ...best.modules.map((m) => el('li', { 'data-module': m.module, text: moduleTerms(m) })))
        : (I18N.lang === 'ru' ? 'нет программы в бюджете' : 'nothing fits')),
      el('td', { class: 'num', text: best ? money(best.gross_per_head) : '—' }));
  });
  box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { id: 'budget-table', class: 'sticky-first' },
    el('thead', {}, el('tr', {}, ...[I18N.t('hr.segment'), I18N.t('hr.budget.per_head'), I18N.t('hr.budget.network'), I18N.t('hr.budget.modules'), I18N.lang === 'ru' ? 'Цена на человека' : 'Price per head'].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...rows))));
}

function renderQuote() {
  const q = state.quote;
  if (!q) return;
  $('results').hidden = false;
  renderBudgetResult();
  const head = el('tr', {}, el('th', { text: I18N.t('hr.segment') }), el('th', { class: 'num', text: I18N.t('hr.people') }),
    ...SCENARIOS.map((s) => el('th', { class: 'num', text: I18N.t(`hr.scenario.${s}`) })),
    el('th', { class: 'num', text: `${I18N.t('hr.per_month')} (${I18N.t('hr.scenario.base')})` }));
  const row = (label, seg, cls) => el('tr', { class: cls },
    el('td', { text: label }), el('td', { class: 'num', text: seg.people }),
    ...SCENARIOS.map((s) => el('td', { class: 'num', text: money(seg.scenarios[s].gross_premium) })),
    el('td', { class: 'num', text: money(seg.scenarios.base.gross_per_person_month, { digits: 2 }) }));
  $('quote-table').replaceChildren(el('thead', {}, head), el('tbody', {},
    ...q.segments.map((s) => row(I18N.name(s), s)), row(I18N.t('hr.total'), q.total, 'total')));
  const warnings = q.warnings || [];
  $('warnings').replaceChildren(...(warnings.length ? [el('p', { class: 'hint', text: `${I18N.t('hr.warnings')}: ${warnings.join('; ')}` })] : []));
  const series = SCENARIOS.map((s) => ({ key: s, label: I18N.t(`hr.scenario.${s}`), color: SCENARIO_COLORS[s] }));
  $('chart-segments').replaceChildren(barChart({
    title: I18N.t('hr.chart.segments'), series,
    groups: q.segments.map((s) => ({ label: I18N.name(s), values: Object.fromEntries(SCENARIOS.map((k) => [k, s.scenarios[k].gross_premium])) })),
  }));
  const dist = q.total_claims_distribution;
  if (dist && SCENARIOS.every((s) => dist[s] && dist[s].percentiles)) {
    $('chart-fan').replaceChildren(fanChart({
      title: I18N.t('hr.chart.fan'),
      rows: SCENARIOS.map((s) => ({ label: I18N.t(`hr.scenario.${s}`), color: SCENARIO_COLORS[s], mean: dist[s].mean, p: dist[s].percentiles })),
    }));
  } else {
    $('chart-fan').replaceChildren();
  }
}

// The quote as CSV for a spreadsheet. In Russian it is what Russian Excel
// opens as columns: UTF-8 with a BOM, ';', a decimal comma and Russian
// column and segment names; in English ';' with a decimal point.
function quoteCsv() {
  const q = state.quote;
  const ru = I18N.lang === 'ru';
  const scen = { optimistic: 'оптимистичный', base: 'базовый', pessimistic: 'пессимистичный' };
  const cols = ru ? ['Сегмент', 'Название', 'Человек'] : ['segment', 'name_ru', 'name_en', 'people'];
  for (const s of SCENARIOS) {
    if (ru) cols.push(`Премия, ₽ в год (${scen[s]})`, `На человека, ₽ в месяц (${scen[s]})`, `Платит работодатель, ₽ в год (${scen[s]})`, `Платят сотрудники, ₽ в год (${scen[s]})`);
    else cols.push(`${s}_gross_premium`, `${s}_per_person_month`, `${s}_employer_pays`, `${s}_employees_pay`);
  }
  const num = (v) => (ru ? String(v).replace('.', ',') : String(v));
  const lines = [cols.map(csvCell).join(';')];
  const add = (code, seg) => {
    const cells = ru ? [code, seg.name_ru || seg.name_en || '', seg.people] : [code, seg.name_ru || '', seg.name_en || '', seg.people];
    for (const s of SCENARIOS) {
      const m = seg.scenarios[s];
      cells.push(num(m.gross_premium), num(m.gross_per_person_month), num(m.employer_pays), num(m.employees_pay));
    }
    lines.push(cells.map(csvCell).join(';'));
  };
  q.segments.forEach((s) => add(s.code, s));
  add(ru ? 'итого' : 'total', { ...q.total, name_ru: 'Итого', name_en: 'Total' });
  return `${ru ? '\uFEFF' : ''}${lines.join('\r\n')}\r\n`;
}

// ---- comparison ------------------------------------------------------------

async function runCompare() {
  clearErrors($('compare-card'));
  clearErrors($('census-card'));
  const ids = [...$('compare-pick').querySelectorAll('input:checked')].map((i) => i.value);
  if (ids.length < 2 || ids.length > 4) {
    showError({ code: 'invalid_parameter', message: I18N.t('hr.compare.hint'), path: '/plans' }, errorFields());
    return;
  }
  $('compare-run').disabled = true;
  const res = await Api.call('POST', '/v1/compare', { plans: ids.map((id) => state.plans[id]), census_csv: census() });
  $('compare-run').disabled = false;
  if (!res.ok) {
    showError(res.error, errorFields(), $('compare-error'));
    return;
  }
  state.compare = res.data;
  renderCompare();
}

// "both+10%" -> "частота и тяжесть +10%" / "frequency and severity +10%".
function shockLabel(shock) {
  const ru = I18N.lang === 'ru';
  if (shock === 'base') return ru ? 'базовый' : 'base';
  const m = /^(frequency|severity|both)([+-]\d+%)$/.exec(shock);
  if (!m) return shock;
  const what = { frequency: ru ? 'частота' : 'frequency', severity: ru ? 'тяжесть' : 'severity', both: ru ? 'частота и тяжесть' : 'frequency and severity' }[m[1]];
  return `${what} ${m[2]}`;
}

function renderCompare() {
  const c = state.compare;
  if (!c) return;
  const shocks = c.plans[0].scenarios.map((s) => s.shock);
  const head = el('tr', {}, el('th', { text: I18N.lang === 'ru' ? 'Сценарий' : 'Scenario' }),
    ...c.plans.map((p) => el('th', { class: 'num', text: planName(p) })));
  const rows = shocks.map((shock, i) => el('tr', {}, el('td', { text: shockLabel(shock) }),
    ...c.plans.map((p) => {
      const s = p.scenarios[i];
      const diff = s.difference_total ? ` (${s.difference_total > 0 ? '+' : ''}${money(s.difference_total)})` : '';
      return el('td', { class: 'num', text: `${money(s.gross_total)}${diff}` });
    })));
  const perHead = el('tr', {}, el('td', { text: I18N.lang === 'ru' ? 'На человека (базовый)' : 'Per head (base)' }),
    ...c.plans.map((p) => el('td', { class: 'num', text: money(p.scenarios[0].gross_per_head) })));
  $('compare-table').replaceChildren(el('thead', {}, head), el('tbody', {}, perHead, ...rows));
  const colors = ['#1f5fa8', '#3d9970', '#e0a030', '#8e44ad'];
  const picked = ['base', 'both+10%', 'both+20%', 'both+30%'].filter((s) => shocks.includes(s));
  $('chart-compare').replaceChildren(barChart({
    title: I18N.t('hr.compare'),
    series: c.plans.map((p, i) => ({ key: `p${i}`, label: planName(p), color: colors[i % colors.length] })),
    groups: picked.map((shock) => ({ label: shockLabel(shock), values: Object.fromEntries(c.plans.map((p, i) => [`p${i}`, p.scenarios[shocks.indexOf(shock)].gross_total])) })),
  }));
}

// ---- elections and payroll ------------------------------------------------

async function loadElections() {
  clearErrors($('elections-card'));
  const q = new URLSearchParams();
  if ($('el-status').value) q.set('status', $('el-status').value);
  if ($('el-department').value.trim()) q.set('department', $('el-department').value.trim());
  const res = await Api.call('GET', `/v1/elections${q.toString() ? `?${q}` : ''}`);
  if (!res.ok) {
    showError(res.error, {}, $('elections-error'));
    return;
  }
  state.elections = res.data;
  renderElections();
}

// Accepts or rejects the elections `ids` in one transaction (all or none).
async function changeStatus(ids, to) {
  clearErrors($('elections-card'));
  $('elections-done').hidden = true;
  if (ids.length === 0) return;
  const body = { ids, to };
  if (to === 'rejected') body.reason = $('el-reason').value.trim();
  const res = await Api.call('POST', '/v1/status-changes', body);
  if (!res.ok) {
    showError(res.error, { '/reason': $('elections-error') }, $('elections-error'));
    if (res.error.path === '/reason') $('el-reason').classList.add('invalid');
    return;
  }
  $('elections-done').textContent = I18N.t('hr.elections.done').replace('{n}', String(ids.length));
  $('elections-done').hidden = false;
  await loadElections();
}

async function showHistory(id) {
  const res = await Api.call('GET', `/v1/elections/${id}`);
  if (!res.ok) {
    showError(res.error, {}, $('elections-error'));
    return;
  }
  const h = res.data.history || [];
  $('election-history').replaceChildren(el('h3', { text: `${I18N.t('hr.elections.history')}: ${res.data.employee_id || id}` }),
    el('ol', { id: 'election-history-list' }, ...h.map((line) => el('li', {},
      `${String(line.at).replace('T', ' ').slice(0, 16)} — ${line.actor || ''} `,
      el('span', { class: `pill ${line.to}`, text: I18N.t(`status.${line.to}`) }),
      line.reason ? ` (${line.reason})` : ''))));
}

function renderElections() {
  const data = state.elections;
  if (!data) return;
  const list = Array.isArray(data) ? data : (data.elections || []);
  // An empty list says so, rather than showing an empty table.
  $('elections-empty').hidden = list.length > 0;
  if (list.length === 0) { $('elections-table').replaceChildren(); return; }
  const head = el('tr', {}, ...[I18N.t('hr.employee'), I18N.t('hr.elections.pick'), I18N.t('hr.department'), I18N.t('emp.status'), `${I18N.t('emp.budget.topup')}, ${I18N.t('common.month')}`, ''].map((h) => el('th', { scope: 'col', text: h })));
  $('elections-table').replaceChildren(el('thead', {}, head), el('tbody', {}, ...list.map((e) => {
    const tick = el('input', { type: 'checkbox', value: String(e.id), 'aria-label': `${I18N.t('hr.elections.pick')} ${e.employee_id}`, 'data-id': e.id });
    const accept = el('button', { type: 'button', class: 'secondary small', text: I18N.t('hr.elections.accept'), 'aria-label': `${I18N.t('hr.elections.accept')} ${e.employee_id}`, 'data-action': 'accept' });
    accept.addEventListener('click', () => changeStatus([e.id], 'accepted'));
    const reject = el('button', { type: 'button', class: 'secondary small', text: I18N.t('hr.elections.reject'), 'aria-label': `${I18N.t('hr.elections.reject')} ${e.employee_id}`, 'data-action': 'reject' });
    reject.addEventListener('click', () => changeStatus([e.id], 'rejected'));
    const hist = el('button', { type: 'button', class: 'secondary small', text: I18N.t('hr.elections.history'), 'aria-label': `${I18N.t('hr.elections.history')} ${e.employee_id}`, 'data-action': 'history' });
    hist.addEventListener('click', () => showHistory(e.id));
    return el('tr', { 'data-employee': e.employee_id, 'data-id': e.id },
      el('th', { scope: 'row', text: e.employee_id }), el('td', {}, tick), el('td', { text: e.department || '' }),
      el('td', {}, el('span', { class: `pill ${e.status}`, text: I18N.t(`status.${e.status}`) })),
      el('td', { class: 'num', text: e.cost ? money(e.cost.employee_month, { digits: 2 }) : '' }),
      el('td', {}, el('div', { class: 'row' }, accept, reject, hist)));
  })));
}

function tickedElections() {
  return [...$('elections-table').querySelectorAll('input[type=checkbox]:checked')].map((i) => Number(i.value));
}

async function payroll() {
  clearErrors($('elections-card'));
  const res = await Api.call('GET', '/v1/exports/payroll.csv', undefined, { accept: 'text/csv' });
  if (!res.ok) {
    showError(res.error, {}, $('elections-error'));
    return;
  }
  download('payroll.csv', res.text);
}

// ---- wiring ---------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  Api.loadKey('hr');
  $('key').value = Api.key;
  setAuthState();
  $('auth-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    Api.saveKey($('key').value);
    checkKey();
  });
  if (Api.key) checkKey();
  $('signout').addEventListener('click', () => { Api.saveKey(''); keyChecked = false; $('key').value = ''; setAuthState(); });
  $('el-status').addEventListener('change', loadElections);
  $('el-department').addEventListener('change', loadElections);
  $('el-accept-bulk').addEventListener('click', () => changeStatus(tickedElections(), 'accepted'));
  $('el-reject-bulk').addEventListener('click', () => changeStatus(tickedElections(), 'rejected'));
  $('census-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (file) $('census').value = await file.text();
  });
  $('census-sample').addEventListener('click', async () => {
    const res = await Api.call('GET', '/samples/startup-60.csv', undefined, { accept: 'text/csv' });
    if (res.ok) $('census').value = res.text.replace(/^\uFEFF/, '');
  });
  $('plan').addEventListener('change', () => selectPlan($('plan').value));
  $('plan-json').addEventListener('change', () => { renderBudgetInputs(); renderBuilder(); });
  document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', renderBudgetInputs));
  $('quote-run').addEventListener('click', runQuote);
  $('quote-csv').addEventListener('click', () => download('quote.csv', quoteCsv()));
  $('compare-run').addEventListener('click', runCompare);
  $('elections-load').addEventListener('click', loadElections);
  $('payroll').addEventListener('click', payroll);
  I18N.onChange(() => {
    setAuthState();
    renderBuilder();
    renderBuilderPrice();
    renderPlanChoices();
    renderBudgetInputs();
    renderQuote();
    renderCompare();
    renderElections();
  });
  loadPlans();
});
