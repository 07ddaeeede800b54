// The register of insured people on the HR page (список застрахованных): the
// list with filters by department, status and programme, a person's history,
// bulk upload of the insurer's template (CSV or XLSX) with every faulty row
// shown at its line and column, and downloads of the list, the changes of a
// period (the attach/detach list) and the insured-list report as CSV or XLSX.
'use strict';

Object.assign(DMS_TEXT.ru, {
  'reg.title': 'Список застрахованных',
  'reg.hint': 'Изменения — по шаблону страховщика (CSV или XLSX): прикрепить, открепить, приостановить, изменить программу. Файл проверяется целиком: при любой ошибке ничего не применяется.',
  'reg.department': 'Подразделение',
  'reg.status': 'Статус',
  'reg.programme': 'Программа',
  'reg.any': 'все',
  'reg.show': 'Показать',
  'reg.prev': '← Назад',
  'reg.next': 'Дальше →',
  'reg.upload': 'Загрузить изменения',
  'reg.applied': 'Применено изменений',
  'reg.refused': 'Ничего не применено, ошибок',
  'reg.download': 'Скачать',
  'reg.list.csv': 'Список (CSV)',
  'reg.list.xlsx': 'Список (XLSX)',
  'reg.changes.csv': 'Изменения за период (CSV)',
  'reg.changes.xlsx': 'Изменения за период (XLSX)',
  'reg.insured.xlsx': 'Отчёт о застрахованных (XLSX)',
  'reg.from': 'с',
  'reg.to': 'по',
  'reg.history': 'История',
  'reg.col.name': 'ФИО',
  'reg.col.policy': 'Полис',
  'reg.col.from': 'Подключён',
  'reg.col.to': 'Окончание',
  'reg.col.version': 'Версия',
  'reg.col.action': 'Действие',
  'reg.col.date': 'Дата действия',
  'reg.col.entered': 'Внесено',
  'reg.col.author': 'Кем',
  'reg.of': 'из',
  'reg.empty': 'Список пуст: загрузите шаблон с прикреплениями.',
});
Object.assign(DMS_TEXT.en, {
  'reg.title': 'Register of insured people',
  'reg.hint': "Changes come in the insurer's template (CSV or XLSX): attach, detach, suspend, change programme. The file is checked whole: with any error nothing is applied.",
  'reg.department': 'Department',
  'reg.status': 'Status',
  'reg.programme': 'Programme',
  'reg.any': 'all',
  'reg.show': 'Show',
  'reg.prev': '← Back',
  'reg.next': 'Next →',
  'reg.upload': 'Upload changes',
  'reg.applied': 'Changes applied',
  'reg.refused': 'Nothing applied, errors',
  'reg.download': 'Download',
  'reg.list.csv': 'List (CSV)',
  'reg.list.xlsx': 'List (XLSX)',
  'reg.changes.csv': 'Changes of a period (CSV)',
  'reg.changes.xlsx': 'Changes of a period (XLSX)',
  'reg.insured.xlsx': 'Insured-list report (XLSX)',
  'reg.from': 'from',
  'reg.to': 'to',
  'reg.history': 'History',
  'reg.col.name': 'Full name',
  'reg.col.policy': 'Policy',
  'reg.col.from': 'Covered from',
  'reg.col.to': 'Until',
  'reg.col.version': 'Version',
  'reg.col.action': 'Action',
  'reg.col.date': 'Effective date',
  'reg.col.entered': 'Entered',
  'reg.col.author': 'By',
  'reg.of': 'of',
  'reg.empty': 'The register is empty: upload a template with attachments.',
});

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const Register = { offset: 0, limit: 50, data: null, history: null };

function regEl(id) { return document.getElementById(id); }

function ruDate(iso) {
  if (!iso) return '—';
  const [y, m, d] = iso.split('-');
  return I18N.lang === 'ru' ? `${d}.${m}.${y}` : iso;
}

function regQuery(extra = {}) {
  const q = new URLSearchParams();
  const dept = regEl('reg-department').value.trim();
  const status = regEl('reg-status').value;
  const programme = regEl('reg-programme').value.trim();
  if (dept) q.set('department', dept);
  if (status) q.set('status', status);
  if (programme) q.set('programme', programme);
  for (const [k, v] of Object.entries(extra)) if (v !== '' && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function loadRegister() {
  clearErrors(regEl('register-card'));
  const res = await Api.call('GET', `/v1/register${regQuery({ offset: Register.offset, limit: Register.limit })}`);
  if (!res.ok) {
    showError(res.error, {}, regEl('reg-error'));
    return;
  }
  Register.data = res.data;
  renderRegister();
}

function renderRegister() {
  const data = Register.data;
  if (!data) return;
  const head = el('tr', {}, ...['reg.col.name', 'reg.col.policy', 'reg.department', 'reg.programme', 'reg.status',
    'reg.col.from', 'reg.col.to', 'reg.col.version'].map((k) => el('th', { text: I18N.t(k) })));
  const rows = data.persons.map((p) => el('tr', {
    'data-policy': p.policy, class: 'clickable', onclick: () => loadHistory(p.policy),
  }, el('td', { text: p.full_name }), el('td', { text: p.policy }), el('td', { text: p.department }),
  el('td', { text: p.programme }), el('td', { text: I18N.lang === 'ru' ? p.status_ru : p.status }),
  el('td', { text: ruDate(p.date_from) }), el('td', { text: ruDate(p.date_to) }),
  el('td', { class: 'num', text: p.version })));
  regEl('reg-table').replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
  const last = Math.min(data.offset + data.persons.length, data.total);
  regEl('reg-count').textContent = data.total === 0 ? I18N.t('reg.empty')
    : `${data.offset + 1}–${last} ${I18N.t('reg.of')} ${data.total}`;
  regEl('reg-prev').disabled = data.offset === 0;
  regEl('reg-next').disabled = last >= data.total;
}

async function loadHistory(policy) {
  clearErrors(regEl('register-card'));
  const res = await Api.call('GET', `/v1/register/${encodeURIComponent(policy)}`);
  if (!res.ok) {
    showError(res.error, {}, regEl('reg-error'));
    return;
  }
  Register.history = res.data;
  renderHistory();
}

function renderHistory() {
  const p = Register.history;
  const box = regEl('reg-history');
  if (!p) { box.hidden = true; return; }
  const head = el('tr', {}, ...['reg.col.version', 'reg.col.action', 'reg.col.date', 'reg.programme', 'reg.col.entered',
    'reg.col.author'].map((k) => el('th', { text: I18N.t(k) })));
  const rows = p.history.map((h) => el('tr', {}, el('td', { class: 'num', text: h.version }),
    el('td', { text: I18N.lang === 'ru' ? h.action_ru : h.action }), el('td', { text: ruDate(h.effective_date) }),
    el('td', { text: h.programme || '' }), el('td', { text: h.entered_at.replace('T', ' ').slice(0, 19) }),
    el('td', { text: h.author })));
  box.replaceChildren(el('h3', { text: `${I18N.t('reg.history')}: ${p.full_name} (${p.policy})` }),
    el('div', { class: 'table-wrap' }, el('table', { id: 'reg-history-table' }, el('thead', {}, head), el('tbody', {}, ...rows))));
  box.hidden = false;
}

async function uploadChanges() {
  clearErrors(regEl('register-card'));
  regEl('reg-issues').replaceChildren();
  regEl('reg-result').textContent = '';
  const file = regEl('reg-file').files[0];
  if (!file) return;
  const xlsx = /\.xlsx$/i.test(file.name);
  let res;
  try {
    res = await fetch(`/v1/register?file=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${Api.key}`, 'Content-Type': xlsx ? XLSX_TYPE : 'text/csv', Accept: 'application/json' },
      body: await file.arrayBuffer(),
    });
  } catch (e) {
    showError({ code: 'network', message: I18N.t('common.network') }, {}, regEl('reg-error'));
    return;
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.ok && data) {
    regEl('reg-result').textContent = `${I18N.t('reg.applied')}: ${data.applied}`;
    Register.offset = 0;
    loadRegister();
    return;
  }
  const error = (data && data.error) || { code: `http_${res.status}`, message: `HTTP ${res.status}` };
  const issues = error.issues || [];
  if (!issues.length) {
    showError(error, {}, regEl('reg-error'));
    return;
  }
  regEl('reg-result').textContent = `${I18N.t('reg.refused')}: ${error.issues_total}`;
  regEl('reg-issues').replaceChildren(...issues.map((i) => el('li', {
    class: 'field-error', 'data-line': i.line, 'data-code': i.code,
  }, `${I18N.t('common.line')} ${i.line}, ${I18N.t('common.column')} ${i.column}: ${I18N.lang === 'ru' ? i.message_ru : i.message_en}`)));
}

async function fetchDownload(path, name) {
  clearErrors(regEl('register-card'));
  let res;
  try {
    res = await fetch(path, { headers: { Authorization: `Bearer ${Api.key}` } });
  } catch (e) {
    showError({ code: 'network', message: I18N.t('common.network') }, {}, regEl('reg-error'));
    return;
  }
  if (!res.ok) {
    let error = { code: `http_${res.status}`, message: `HTTP ${res.status}` };
    try { error = (await res.json()).error || error; } catch (e) { /* not JSON */ }
    showError(error, {}, regEl('reg-error'));
    return;
  }
  const blob = await res.blob();
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function period() {
  return { from: regEl('reg-from').value, to: regEl('reg-to').value };
}

document.addEventListener('DOMContentLoaded', () => {
  regEl('reg-show').addEventListener('click', () => { Register.offset = 0; loadRegister(); });
  regEl('reg-prev').addEventListener('click', () => { Register.offset = Math.max(0, Register.offset - Register.limit); loadRegister(); });
  regEl('reg-next').addEventListener('click', () => { Register.offset += Register.limit; loadRegister(); });
  regEl('reg-upload').addEventListener('click', uploadChanges);
  regEl('reg-list-csv').addEventListener('click', () => fetchDownload(`/v1/exports/register.csv${regQuery()}`, 'register.csv'));
  regEl('reg-list-xlsx').addEventListener('click', () => fetchDownload(`/v1/exports/register.xlsx${regQuery()}`, 'register.xlsx'));
  regEl('reg-changes-csv').addEventListener('click', () => fetchDownload(`/v1/exports/register-changes.csv?${new URLSearchParams(period())}`, 'changes.csv'));
  regEl('reg-changes-xlsx').addEventListener('click', () => fetchDownload(`/v1/exports/register-changes.xlsx?${new URLSearchParams(period())}`, 'changes.xlsx'));
  regEl('reg-insured-xlsx').addEventListener('click', () => fetchDownload(`/v1/exports/insured.xlsx${regQuery()}`, 'insured.xlsx'));
  I18N.onChange(() => { renderRegister(); renderHistory(); });
});
