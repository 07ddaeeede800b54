// The employee page: sign in with the employee's key, the base package and
// the priced menu of options (GET /v1/me/offer), the draft saved on every
// change (PUT /v1/me/election) with the budget bar from its cost split, the
// questionnaire (priorities on a stated scale and the risk question) and the
// recommended sets with own deductions, out-of-pocket and total cost and the
// reason the best wins (POST /v1/me/recommendation), submission and the
// election's history. Each option shows what it adds to my monthly salary
// deduction given the current draft (the server's difference between the
// draft with and without it), the draft's totals a month and a year split
// between the employer and me, my expected cost a year, and up to 3 sets side
// by side (POST /v1/me/sets).
'use strict';

const st = { offer: null, election: null, faults: [], rec: null, history: [], marginal: [], expected: null, compare: [], compared: [] };
const $ = (id) => document.getElementById(id);

function optionByCode(code) {
  return (st.offer.options || []).find((o) => o.code === code);
}

function optionNames(codes) {
  if (!codes || codes.length === 0) return I18N.t('emp.rec.empty');
  return codes.map((c) => I18N.name(optionByCode(c) || { code: c })).join(', ');
}

function chosen() {
  return [...$('options').querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
}

async function signIn() {
  clearErrors();
  const res = await Api.call('GET', '/v1/me/offer');
  if (!res.ok) {
    showError(res.error, {}, $('key-error'));
    $('picker').hidden = true;
    return;
  }
  st.offer = res.data;
  $('picker').hidden = false;
  $('signout').hidden = false;
  const mine = await Api.call('GET', '/v1/me/election');
  st.election = mine.ok ? mine.data : null;
  st.faults = [];
  await priceDraft(st.election ? st.election.options : []);
  renderAll();
  await loadHistory();
}

// The cost to me of the set `codes` and what each option adds to it.
async function priceDraft(codes) {
  const res = await Api.call('POST', '/v1/me/sets', { sets: [codes] });
  if (res.ok && res.data && res.data.sets && res.data.sets[0]) {
    st.marginal = res.data.sets[0].marginal || [];
    st.expected = res.data.sets[0];
  }
}

async function loadHistory() {
  const res = await Api.call('GET', '/v1/me/election/history');
  st.history = res.ok && res.data ? res.data.history || [] : [];
  renderHistory();
}

// Saves the current ticks as the draft; the answer carries the cost split
// and the faults (budget, eligibility, window) to show at once.
async function saveDraft() {
  clearErrors($('options-card'));
  clearErrors($('budget-card'));
  clearErrors($('submit-card'));
  $('submitted').hidden = true;
  const res = await Api.call('PUT', '/v1/me/election', { options: chosen() });
  if (!res.ok) {
    showError(res.error, { '/options': $('options-error'), '/status': $('submit-error') }, $('submit-error'));
    return;
  }
  st.election = res.data;
  st.faults = res.data.faults || [];
  st.marginal = res.data.marginal || [];
  st.expected = res.data.expected || null;
  renderMarginal();
  renderBudget();
  renderStatus();
  renderFaults();
  await loadHistory();
}

async function submit() {
  clearErrors($('submit-card'));
  $('submitted').hidden = true;
  const res = await Api.call('POST', '/v1/me/election/submit');
  if (!res.ok) {
    st.faults = res.error.faults || [];
    renderFaults();
    showError(res.error, {}, $('submit-error'));
    return;
  }
  st.election = res.data;
  st.faults = [];
  renderStatus();
  renderFaults();
  $('submitted').hidden = false;
  await loadHistory();
}

async function recommend() {
  clearErrors($('quiz-card'));
  const answers = [...$('quiz').querySelectorAll('input[type=range]')].map((r) => ({ code: r.dataset.code, priority: Number(r.value) }));
  const picked = $('risk').querySelector('input[name=risk]:checked');
  const risk = picked ? Number(picked.value) : 0;
  const res = await Api.call('POST', '/v1/me/recommendation', { answers, risk, alternatives: 3 });
  if (!res.ok) {
    const fields = { '/risk': $('risk-error') };
    answers.forEach((a, i) => { fields[`/answers/${i}`] = $(`quiz-${i}-error`); });
    showError(res.error, fields, $('quiz-error'));
    return;
  }
  st.rec = res.data;
  renderRecommendation();
}

async function applySet(codes) {
  $('options').querySelectorAll('input[type=checkbox]').forEach((i) => { i.checked = codes.includes(i.value); });
  await saveDraft();
}

// ---- rendering ---------------------------------------------------------------

function renderAll() {
  if (!st.offer) return;
  const o = st.offer;
  $('auth-state').textContent = `${I18N.t('auth.signed')}: ${o.employee_id} · ${I18N.name(o.segment)}`;
  const names = (o.base_modules || []).map((m) => I18N.name(m)).join(', ');
  $('base-text').textContent = `${I18N.name(o.segment)}${names ? `: ${names}` : ''} — ${money(o.base_price_year / 12, { digits: 2 })} ${I18N.t('common.month')} (${money(o.base_price_year)} ${I18N.t('common.year')})`;
  const picked = new Set(st.election ? st.election.options : []);
  const base = new Set((o.base_modules || []).map((m) => m.module));
  $('base-list').replaceChildren(...(o.base_modules || []).map((m) => el('li', { 'data-module': m.module },
    el('span', { text: I18N.name(m) }), ' ', el('span', { class: 'pill included-pill', text: I18N.t('emp.included') }))));
  // An option for a module the base programme already gives me is not a
  // choice: it is listed once, above, as included.
  const shown = o.options.filter((opt) => opt.eligible || !(base.has(opt.module) && opt.reason !== 'no_member'));
  $('options').replaceChildren(...shown.map((opt) => {
    const i = o.options.indexOf(opt);
    const id = `opt-${opt.code}`;
    const box = el('input', { type: 'checkbox', id, value: opt.code, checked: picked.has(opt.code), disabled: !opt.eligible, 'data-option': opt.code });
    box.addEventListener('change', saveDraft);
    const price = opt.cost
      ? el('div', { class: 'price' },
        el('div', { class: 'marginal', 'data-marginal': opt.code }),
        el('div', { class: 'muted', text: `${I18N.t('emp.option.price.month')}: ${money(opt.cost.price_month, { digits: 2 })} ${I18N.t('common.month')}` }))
      : el('div', { class: 'price muted', text: I18N.t('emp.option.ineligible') });
    const reason = opt.eligible ? null : el('div', { class: 'reason', text: I18N.lang === 'ru' ? opt.reason_ru : opt.reason.replace(/_/g, ' ') });
    const who = opt.covered && opt.covered.length ? el('div', { class: 'muted reason', text: `${I18N.t('emp.household')}: ${opt.covered.map((r) => I18N.t(`relation.${r}`)).join(', ')}` }) : null;
    return el('li', { class: `option${opt.eligible ? '' : ' ineligible'}`, 'data-index': i },
      box, el('label', { for: id, class: 'what' }, el('div', { class: 'name', text: I18N.name(opt) }), who, reason),
      price);
  }));
  renderMarginal();
  $('quiz').replaceChildren(...o.options.filter((opt) => opt.eligible).map((opt, i) => {
    const range = el('input', { type: 'range', min: '0', max: '5', step: '1', value: '3', id: `quiz-${i}`, 'data-code': opt.code, 'aria-label': I18N.name(opt) });
    const out = el('output', { for: `quiz-${i}`, text: '3' });
    range.addEventListener('input', () => { out.textContent = range.value; });
    return el('div', {}, el('div', { class: 'quiz-row' }, el('span', { text: I18N.name(opt) }), range, out),
      el('div', { class: 'field-error', id: `quiz-${i}-error`, hidden: true }));
  }));
  renderBudget();
  renderStatus();
  renderFaults();
  renderRecommendation();
  renderHistory();
  renderCompare();
}

// "+113,09 ₽ в месяц к моим удержаниям" next to each option, from the
// server's difference of two drafts' deductions.
function renderMarginal() {
  for (const m of st.marginal) {
    const node = document.querySelector(`[data-marginal="${m.code}"]`);
    if (!node) continue;
    node.dataset.value = String(m.employee_month);
    node.replaceChildren(el('strong', { text: `${m.in_set ? '' : '+'}${money(m.employee_month, { digits: 2 })} ${I18N.t('common.month')}` }),
      ' ', el('span', { class: 'muted', text: I18N.t(m.in_set ? 'emp.marginal.in' : 'emp.marginal.add') }));
  }
}

function renderBudget() {
  const o = st.offer;
  if (!o) return;
  const cost = st.election ? st.election.cost : { price_year: 0, employer_year: 0, employee_year: 0, employee_month: 0 };
  const flex = o.segment.flex_budget;
  const cap = o.segment.top_up_cap;
  const credits = Math.min(cost.price_year, flex);
  const topup = cost.employee_year;
  const over = Math.max(0, topup - cap);
  const left = Math.max(0, flex - credits) + Math.max(0, cap - topup);
  const parts = [
    { key: 'credits', label: I18N.t('emp.budget.credits'), value: credits, color: '#3d9970' },
    { key: 'topup', label: I18N.t('emp.budget.topup'), value: topup - over, color: '#e0a030' },
    { key: 'over', label: I18N.t('emp.budget.over'), value: over, color: '#b3261e' },
  ];
  $('budget-bar').replaceChildren(budgetBar({ parts, limit: flex + cap, title: I18N.t('emp.budget') }));
  const item = (cls, label, value) => el('span', {}, el('span', { class: `swatch ${cls}` }), `${label}: ${money(value)}`);
  $('budget-legend').replaceChildren(
    item('credits', I18N.t('emp.budget.credits'), credits), el('span', { class: 'muted', text: `/ ${money(flex)} ${I18N.t('common.year')}` }),
    item('topup', I18N.t('emp.budget.topup'), topup), el('span', { class: 'muted', text: `/ ${money(cap)} ${I18N.t('common.year')} (${I18N.t('emp.budget.cap')})` }),
    ...(over > 0 ? [item('over', I18N.t('emp.budget.over'), over)] : []));
  // What is left is said separately for the credits and for the cap: they
  // are different money (the employer's, and a limit on mine).
  $('budget-left').replaceChildren(
    el('li', { 'data-left': 'credits' }, `${I18N.t('emp.budget.credits.left')}: ${money(Math.max(0, flex - credits))} ${I18N.t('common.year')}`),
    el('li', { 'data-left': 'cap' }, `${I18N.t('emp.budget.cap.left')}: ${money(Math.max(0, cap - topup))} ${I18N.t('common.year')}`));
  // The draft's full split (a month and a year) comes with its pricing.
  const c = (st.expected && st.expected.cost) || cost;
  const employerMonth = c.employer_month !== undefined ? c.employer_month : (c.price_month || 0) - (c.employee_month || 0);
  const priceMonth = c.price_month !== undefined ? c.price_month : employerMonth + (c.employee_month || 0);
  const line = (key, label, month, year) => el('tr', { 'data-row': key }, el('th', { scope: 'row', text: label }),
    el('td', { class: 'num', 'data-period': 'month', text: money(month, { digits: 2 }) }),
    el('td', { class: 'num', 'data-period': 'year', text: money(year, { digits: 2 }) }));
  $('totals').replaceChildren(
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: '' }), el('th', { scope: 'col', class: 'num', text: I18N.t('common.month') }), el('th', { scope: 'col', class: 'num', text: I18N.t('common.year') }))),
    el('tbody', {},
      line('employer', I18N.t('emp.totals.employer'), employerMonth, c.employer_year),
      line('me', I18N.t('emp.totals.me'), c.employee_month, c.employee_year),
      line('all', I18N.t('emp.totals.all'), priceMonth, c.price_year)));
  $('expected').replaceChildren(...(st.expected ? [usageRow('oop total', st.expected.total_cost_to_me_year)] : []));
  $('budget-bar').dataset.over = over > 0 ? 'true' : 'false';
}

// ---- comparison of up to 3 sets ------------------------------------------------

async function addToCompare(codes, label) {
  clearErrors($('compare-card'));
  if (st.compare.length >= 3) {
    showError({ code: 'too_many', message: I18N.t('emp.compare.full'), path: '' }, {}, $('compare-error'));
    return;
  }
  st.compare.push({ codes: [...codes], label });
  await loadCompare();
}

async function loadCompare() {
  if (st.compare.length === 0) { st.compared = []; renderCompare(); return; }
  const res = await Api.call('POST', '/v1/me/sets', { sets: st.compare.map((c) => c.codes) });
  if (!res.ok) {
    showError(res.error, {}, $('compare-error'));
    return;
  }
  st.compared = res.data.sets;
  renderCompare();
}

function renderCompare() {
  const sets = st.compared || [];
  if (sets.length === 0) { $('compare').replaceChildren(); return; }
  const head = el('tr', {}, el('th', { scope: 'col', text: I18N.t('emp.compare.set') }),
    ...sets.map((s, i) => {
      const rm = el('button', { type: 'button', class: 'secondary small', text: I18N.t('emp.compare.remove'), 'aria-label': `${I18N.t('emp.compare.remove')} ${i + 1}` });
      rm.addEventListener('click', () => { st.compare.splice(i, 1); loadCompare(); });
      return el('th', { scope: 'col', 'data-set': i }, `${i + 1}. ${(st.compare[i] && st.compare[i].label) || ''} `, rm);
    }));
  const row = (label, f) => el('tr', {}, el('th', { scope: 'row', text: label }), ...sets.map((s) => el('td', { class: 'num', text: f(s) })));
  $('compare').replaceChildren(el('thead', {}, head), el('tbody', {},
    el('tr', {}, el('th', { scope: 'row', text: I18N.t('emp.compare.options') }), ...sets.map((s) => el('td', { text: optionNames(s.options) }))),
    row(I18N.t('emp.compare.month'), (s) => money(s.own_deductions.month, { digits: 2 })),
    row(I18N.t('emp.compare.year'), (s) => money(s.own_deductions.year, { digits: 2 })),
    row(`${I18N.t('emp.compare.expected')} — ${I18N.t('emp.oop.low')}`, (s) => money(s.total_cost_to_me_year.low, { digits: 2 })),
    row(`${I18N.t('emp.compare.expected')} — ${I18N.t('emp.oop.medium')}`, (s) => money(s.total_cost_to_me_year.medium, { digits: 2 })),
    row(`${I18N.t('emp.compare.expected')} — ${I18N.t('emp.oop.high')}`, (s) => money(s.total_cost_to_me_year.high, { digits: 2 }))));
}

function renderStatus() {
  const s = st.election ? st.election.status : null;
  $('status').className = `pill ${s || ''}`;
  $('status').textContent = s ? I18N.t(`status.${s}`) : '—';
  $('status').dataset.status = s || '';
}

// Faults of the draft: budget faults next to the budget bar, the others next
// to the options list; each names its option where it can.
function renderFaults() {
  const budget = st.faults.filter((f) => /budget|cap|top_up/.test(f.kind));
  const other = st.faults.filter((f) => !budget.includes(f));
  const show = (list, target) => {
    if (list.length === 0) return;
    target.textContent = list.map((f) => f.message).join('; ');
    target.dataset.code = list[0].kind;
    target.hidden = false;
  };
  show(budget, $('budget-error'));
  show(other, $('options-error'));
}

// Three figures for low / medium / high use, each a money amount.
function usageRow(cls, values) {
  const v = values || {};
  return el('div', { class: cls },
    el('div', {}, I18N.t('emp.oop.low'), el('strong', { text: money(v.low, { digits: 2 }) })),
    el('div', {}, I18N.t('emp.oop.medium'), el('strong', { text: money(v.medium, { digits: 2 }) })),
    el('div', {}, I18N.t('emp.oop.high'), el('strong', { text: money(v.high, { digits: 2 }) })));
}

function choiceCard(choice, best, index, reason) {
  const own = choice.own_deductions || { year: choice.cost.employee_year, month: choice.cost.employee_month };
  const ownText = I18N.t('emp.own.value')
    .replace('{year}', money(own.year, { digits: 2 }))
    .replace('{month}', money(own.month, { digits: 2 }));
  const card = el('div', { class: `rec${best ? ' best' : ''}`, 'data-rec': index },
    el('strong', { text: best ? I18N.t('emp.rec.best') : `${I18N.t('emp.rec.runner')} ${index}` }),
    el('p', { text: optionNames(choice.options) }),
    el('p', { class: 'muted', text: `${I18N.t('emp.option.price')}: ${money(choice.cost.price_month, { digits: 2 })} ${I18N.t('common.month')}` }),
    el('p', { class: 'own' }, `${I18N.t('emp.own')}: `, el('strong', { text: ownText })),
    el('div', {}, el('span', { class: 'muted', text: `${I18N.t('emp.oop')}, ${I18N.t('common.year')}` })),
    usageRow('oop', choice.out_of_pocket_year),
    el('div', {}, el('span', { class: 'muted', text: I18N.t('emp.total') })),
    usageRow('oop total', choice.total_cost_to_me_year));
  if (best && reason) {
    card.append(el('p', { class: 'why' }, el('strong', { text: `${I18N.t('emp.why')}: ` }),
      I18N.lang === 'ru' ? reason.ru : reason.en));
  }
  const apply = el('button', { type: 'button', class: 'secondary', text: I18N.t('emp.rec.apply') });
  apply.addEventListener('click', () => applySet(choice.options));
  const cmp = el('button', { type: 'button', class: 'secondary', text: I18N.t('emp.compare.add.rec') });
  cmp.addEventListener('click', () => addToCompare(choice.options, best ? I18N.t('emp.rec.best') : `${I18N.t('emp.rec.runner')} ${index}`));
  card.append(el('p', { class: 'row' }, apply, cmp));
  return card;
}

function renderRecommendation() {
  const r = st.rec;
  if (!r) { $('recommendation').replaceChildren(); return; }
  $('recommendation').replaceChildren(el('h3', { text: I18N.t('emp.rec') }),
    ...(r.best ? [choiceCard(r.best, true, 0, r.reason)] : []),
    ...(r.runner_ups || []).map((c, i) => choiceCard(c, false, i + 1)));
}

function renderHistory() {
  $('history').replaceChildren(...st.history.map((h) => el('li', {},
    `${h.at.replace('T', ' ').slice(0, 16)} — `, el('span', { class: `pill ${h.to}`, text: I18N.t(`status.${h.to}`) }),
    ` ${optionNames(h.options)}${h.reason ? ` (${h.reason})` : ''}`)));
}

document.addEventListener('DOMContentLoaded', () => {
  Api.loadKey('employee');
  $('key').value = Api.key;
  $('auth-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    Api.saveKey($('key').value);
    signIn();
  });
  $('signout').addEventListener('click', () => {
    Api.saveKey('');
    $('key').value = '';
    $('picker').hidden = true;
    $('signout').hidden = true;
    st.offer = null;
    $('auth-state').textContent = I18N.t('auth.employee.hint');
  });
  $('submit').addEventListener('click', submit);
  $('recommend').addEventListener('click', recommend);
  $('compare-add').addEventListener('click', () => addToCompare(chosen(), I18N.t('emp.compare.mine')));
  I18N.onChange(() => renderAll());
  if (Api.key) signIn();
});
