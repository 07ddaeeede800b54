// The claims reports on the HR page (POST /v1/reports/NAME): the register
// and the membership list chosen as files, the report, the period and the
// suppression floor; the table with hidden cells marked as such, and the same
// report as CSV in the page's language.
'use strict';

const rep = { data: null };
const $r = (id) => document.getElementById(id);

async function reportBody() {
  const reg = $r('rep-register').files[0];
  const mem = $r('rep-membership').files[0];
  if (!reg || !mem) return null;
  return {
    register_csv: await reg.text(), membership_csv: await mem.text(),
    period: { from: $r('rep-from').value, to: $r('rep-to').value }, min_cell: Number($r('rep-min').value),
  };
}

function reportFields() {
  return { '/register_csv': $r('rep-error'), '/membership_csv': $r('rep-error'), '/min_cell': $r('rep-error'), '/period': $r('rep-error') };
}

async function runReport() {
  clearErrors($r('reports-card'));
  const body = await reportBody();
  if (!body) { showError({ code: 'invalid_parameter', message: I18N.t('rep.files'), path: '' }, {}, $r('rep-error')); return; }
  $r('rep-run').disabled = true;
  const res = await Api.call('POST', `/v1/reports/${$r('rep-name').value}`, body, { timeoutMs: 120000 });
  $r('rep-run').disabled = false;
  if (!res.ok) { showError(res.error, reportFields(), $r('rep-error')); return; }
  rep.data = res.data;
  renderReport();
}

async function reportCsv() {
  clearErrors($r('reports-card'));
  const body = await reportBody();
  if (!body) { showError({ code: 'invalid_parameter', message: I18N.t('rep.files'), path: '' }, {}, $r('rep-error')); return; }
  body.format = 'csv';
  const res = await Api.call('POST', `/v1/reports/${$r('rep-name').value}`, body, { accept: 'text/csv', timeoutMs: 120000 });
  if (!res.ok) { showError(res.error, reportFields(), $r('rep-error')); return; }
  download(`${$r('rep-name').value}.csv`, res.text);
}

// A cell in the page's number format by what the column holds.
function reportCell(key, v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  const ru = I18N.lang === 'ru' ? 'ru-RU' : 'en-GB';
  if (/share|ratio|rate/.test(key)) return `${new Intl.NumberFormat(ru, { maximumFractionDigits: 1 }).format(v * 100)} %`;
  if (/cost|paid|amount|premium|expense|limit|billed|spend|claims/.test(key)) return money(v);
  return new Intl.NumberFormat(ru, { maximumFractionDigits: 1 }).format(v);
}

function renderReport() {
  const d = rep.data;
  if (!d) return;
  const min = d.min_cell;
  $r('rep-note').textContent = [I18N.t('rep.suppressed').replace('{n}', String(d.suppressed)).replace('{min}', String(min)),
    ...(d.warnings || [])].join(' · ');
  $r('rep-note').dataset.suppressed = String(d.suppressed);
  const cols = d.columns;
  $r('rep-table').replaceChildren(
    el('thead', {}, el('tr', {}, ...cols.map((c, i) => el('th', { scope: 'col', class: i ? 'num' : '', text: I18N.name(c) || c.key })))),
    el('tbody', {}, ...d.rows.map((row) => el('tr', {}, ...cols.map((c, i) => {
      const v = row[c.key];
      const hidden = typeof v === 'string' && /^[<*]/.test(v);
      const text = reportCell(c.key, v);
      const attrs = { class: `${i ? 'num' : ''}${hidden ? ' suppressed' : ''}`, text, title: hidden ? I18N.t('rep.hidden').replace('{min}', String(min)) : undefined, 'data-key': c.key };
      return i ? el('td', attrs) : el('th', { scope: 'row', ...attrs });
    })))));
}

document.addEventListener('DOMContentLoaded', () => {
  $r('rep-run').addEventListener('click', runReport);
  $r('rep-csv').addEventListener('click', reportCsv);
  I18N.onChange(renderReport);
});
