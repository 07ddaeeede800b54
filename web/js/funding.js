// The HR page's payment-model card: the census and plan of the page sent to
// POST /v1/funding; the fixed premium against pay-as-you-go with and without
// stop-loss, expected and P75/P90/P99 a year, the stop-loss premium and the
// break-even. Self-contained: its own words in both languages.
'use strict';

const FUNDING_TEXT = {
  ru: {
    title: 'Модель оплаты: фиксированная премия или оплата по факту',
    hint: 'Оплата по факту: фактические убытки + плата за администрирование; stop-loss покрывает убытки сверх выбранного процентиля. Рубли в год.',
    share: 'Доля от убытков (администрирование)',
    run: 'Сравнить модели оплаты',
    model: 'Модель', expected: 'Ожидаемо',
    fixed_premium: 'Фиксированная премия', pay_as_you_go: 'По факту', pay_as_you_go_stop_loss: 'По факту + stop-loss',
    sl: 'Премия stop-loss', be: 'Безубыточность', never: 'никогда не дороже фиксированной премии',
    years: 'лет убытки ниже',
  },
  en: {
    title: 'Payment model: fixed premium or pay-as-you-go',
    hint: 'Pay-as-you-go: actual claims + an administration fee; stop-loss pays the claims above the chosen percentile. Roubles a year.',
    share: 'Share of claims (administration)',
    run: 'Compare payment models',
    model: 'Model', expected: 'Expected',
    fixed_premium: 'Fixed premium', pay_as_you_go: 'Pay-as-you-go', pay_as_you_go_stop_loss: 'Pay-as-you-go + stop-loss',
    sl: 'Stop-loss premium', be: 'Break-even', never: 'never dearer than the fixed premium',
    years: 'of years below it',
  },
};

function fundingText(key) {
  return (FUNDING_TEXT[I18N.lang] || FUNDING_TEXT.ru)[key];
}

function fundingLabels() {
  document.getElementById('funding-title').textContent = fundingText('title');
  document.getElementById('funding-hint').textContent = fundingText('hint');
  document.getElementById('funding-share-label').textContent = fundingText('share');
  document.getElementById('funding-run').textContent = fundingText('run');
}

function renderFunding(data) {
  const table = document.getElementById('funding-table');
  const head = el('tr', {}, el('th', { text: fundingText('model') }), el('th', { text: fundingText('expected') }),
    el('th', { text: 'P75' }), el('th', { text: 'P90' }), el('th', { text: 'P99' }));
  const rows = Object.entries(data.models).map(([name, m]) => el('tr', { 'data-model': name },
    el('td', { text: fundingText(name) || name }),
    ...[m.expected, m.p75, m.p90, m.p99].map((v) => el('td', { class: 'num', text: money(v, { digits: 2 }) }))));
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
  const notes = [];
  if (data.stop_loss) notes.push(`${fundingText('sl')} (${data.stop_loss.retention_level.toUpperCase()}): ${money(data.stop_loss.premium, { digits: 2 })}`);
  for (const b of data.break_even) {
    notes.push(`${fundingText('be')} — ${fundingText(b.model)}: ` + (b.claims_level === null ? fundingText('never')
      : `${money(b.claims_level, { digits: 2 })}, ${(100 * b.probability_cheaper).toFixed(1)}% ${fundingText('years')}`));
  }
  document.getElementById('funding-notes').textContent = notes.join('; ');
}

async function runFunding() {
  const error = document.getElementById('funding-error');
  error.hidden = true;
  const plan = currentPlan();
  const body = {
    plan,
    census_csv: census(),
    stop_loss: document.getElementById('funding-stop-loss').value,
    admin_share: Number(document.getElementById('funding-share').value || 0),
  };
  const res = await Api.call('POST', '/v1/funding', body, { timeoutMs: 120000 });
  if (!res.ok) {
    showError(res.error || { code: 'internal', message: 'no answer' }, {}, error);
    return;
  }
  renderFunding(res.data);
}

document.addEventListener('DOMContentLoaded', () => {
  fundingLabels();
  document.getElementById('funding-run').addEventListener('click', runFunding);
  I18N.onChange(() => { fundingLabels(); });
});
