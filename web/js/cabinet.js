// The cabinet's daily work on the pages, as sections appended to <main>:
// on the employee page "my requests" (file one, attach a receipt, follow its
// status) and "my notifications"; on the HR page the requests de-identified
// with counts by status, payments and debts (for a finance or HR key) and the
// notification log. Self-contained: it only adds to the page, reads the key
// the page signed in with (Api.key) and reloads after a sign-in.
'use strict';

Object.assign(DMS_TEXT.ru, {
  'cab.requests': 'Мои обращения за возмещением',
  'cab.requests.hint': 'Дата, категория услуги, сумма, клиника и документы (PDF, JPEG или PNG до 10 МБ). Диагноз и документы видят только вы и страховщик.',
  'cab.date': 'Дата услуги', 'cab.category': 'Категория', 'cab.amount': 'Сумма, ₽',
  'cab.clinic': 'Клиника', 'cab.diagnosis': 'Диагноз (необязательно)', 'cab.file': 'Документ',
  'cab.file.send': 'Подать обращение', 'cab.refresh': 'Обновить',
  'cab.col.id': '№', 'cab.col.date': 'Дата услуги', 'cab.col.category': 'Категория',
  'cab.col.amount': 'Заявлено', 'cab.col.approved': 'Одобрено', 'cab.col.status': 'Статус',
  'cab.col.employee': 'Сотрудник', 'cab.col.filed': 'Подано',
  'cab.notifications': 'Мои уведомления', 'cab.none': 'Пока ничего нет.',
  'cab.hr.requests': 'Обращения сотрудников (обезличенно)',
  'cab.hr.counts': 'По статусам (меньше 5 — скрыто)',
  'cab.finance': 'Платежи и задолженность', 'cab.finance.open': 'К оплате',
  'cab.finance.overdue': 'из них просрочено', 'cab.finance.next': 'Следующий счёт',
  'cab.col.invoice': 'Счёт', 'cab.col.due': 'Срок', 'cab.col.open': 'Остаток',
  'cab.log': 'Журнал уведомлений', 'cab.col.at': 'Когда', 'cab.col.event': 'Событие',
  'cab.col.to': 'Кому', 'cab.col.what': 'Что',
});
Object.assign(DMS_TEXT.en, {
  'cab.requests': 'My reimbursement requests',
  'cab.requests.hint': 'Date, service category, amount, clinic and documents (PDF, JPEG or PNG up to 10 MB). Only you and the insurer see the diagnosis and documents.',
  'cab.date': 'Service date', 'cab.category': 'Category', 'cab.amount': 'Amount, ₽',
  'cab.clinic': 'Clinic', 'cab.diagnosis': 'Diagnosis (optional)', 'cab.file': 'Document',
  'cab.file.send': 'File the request', 'cab.refresh': 'Refresh',
  'cab.col.id': 'No.', 'cab.col.date': 'Service date', 'cab.col.category': 'Category',
  'cab.col.amount': 'Claimed', 'cab.col.approved': 'Approved', 'cab.col.status': 'Status',
  'cab.col.employee': 'Employee', 'cab.col.filed': 'Filed',
  'cab.notifications': 'My notifications', 'cab.none': 'Nothing yet.',
  'cab.hr.requests': 'Employees\' requests (de-identified)',
  'cab.hr.counts': 'By status (under 5 hidden)',
  'cab.finance': 'Payments and debts', 'cab.finance.open': 'Open',
  'cab.finance.overdue': 'of which overdue', 'cab.finance.next': 'Next invoice',
  'cab.col.invoice': 'Invoice', 'cab.col.due': 'Due', 'cab.col.open': 'Open',
  'cab.log': 'Notification log', 'cab.col.at': 'When', 'cab.col.event': 'Event',
  'cab.col.to': 'To', 'cab.col.what': 'What',
});

const Cabinet = {
  rub(kopecks) {
    if (kopecks === null || kopecks === undefined) return '<5';
    const neg = kopecks < 0;
    const a = Math.abs(kopecks);
    const whole = String(Math.floor(a / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
    return `${neg ? '-' : ''}${whole},${String(a % 100).padStart(2, '0')} ₽`;
  },
  el(tag, attrs = {}, ...kids) {
    const e = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => {
      if (k === 'i18n') e.dataset.i18n = v; else e.setAttribute(k, v);
    });
    kids.forEach((k) => e.append(k instanceof Node ? k : document.createTextNode(String(k))));
    return e;
  },
  table(columns, rows) {
    if (!rows.length) return Cabinet.el('p', { class: 'hint', i18n: 'cab.none' }, I18N.t('cab.none'));
    const head = Cabinet.el('tr', {}, ...columns.map((c) => Cabinet.el('th', { i18n: c }, I18N.t(c))));
    const body = rows.map((r) => Cabinet.el('tr', {}, ...r.map((v) => Cabinet.el('td', {}, v))));
    return Cabinet.el('table', { class: 'table' }, Cabinet.el('thead', {}, head), Cabinet.el('tbody', {}, ...body));
  },
  section(id, titleKey, hintKey) {
    const card = Cabinet.el('section', { class: 'card', id },
      Cabinet.el('h2', { i18n: titleKey }, I18N.t(titleKey)));
    if (hintKey) card.append(Cabinet.el('p', { class: 'hint', i18n: hintKey }, I18N.t(hintKey)));
    const out = Cabinet.el('div', { id: `${id}-body` });
    const error = Cabinet.el('div', { class: 'field-error', id: `${id}-error`, hidden: '' });
    const refresh = Cabinet.el('button', { type: 'button', class: 'secondary', i18n: 'cab.refresh' }, I18N.t('cab.refresh'));
    card.append(out, error, Cabinet.el('p', {}, refresh));
    document.querySelector('main').append(card);
    return { card, out, error, refresh };
  },
  show(s, result, render) {
    s.error.hidden = true;
    s.out.replaceChildren();
    if (!Api.key) return;
    if (!result.ok) {
      s.error.textContent = Api.describe(result.error);
      s.error.hidden = false;
      return;
    }
    s.out.append(render(result.data));
  },

  // ---- the employee page ------------------------------------------------------
  employee() {
    const req = Cabinet.section('cab-requests', 'cab.requests', 'cab.requests.hint');
    const field = (key, input) => Cabinet.el('label', {}, Cabinet.el('span', { i18n: key }, I18N.t(key)), input);
    const date = Cabinet.el('input', { type: 'date', id: 'cab-date', required: '' });
    const category = Cabinet.el('select', { id: 'cab-category' },
      ...['АПП', 'Стоматология', 'Стационар', 'Скорая помощь', 'Помощь на дому'].map((c) => Cabinet.el('option', { value: c }, c)));
    const amount = Cabinet.el('input', { type: 'text', id: 'cab-amount', inputmode: 'decimal', placeholder: '4500.00', required: '' });
    const clinic = Cabinet.el('input', { type: 'text', id: 'cab-clinic', required: '' });
    const diagnosis = Cabinet.el('input', { type: 'text', id: 'cab-diagnosis' });
    const file = Cabinet.el('input', { type: 'file', id: 'cab-file', accept: 'application/pdf,image/jpeg,image/png' });
    const send = Cabinet.el('button', { type: 'submit', id: 'cab-send', i18n: 'cab.file.send' }, I18N.t('cab.file.send'));
    const form = Cabinet.el('form', { id: 'cab-form', class: 'row' },
      field('cab.date', date), field('cab.category', category), field('cab.amount', amount),
      field('cab.clinic', clinic), field('cab.diagnosis', diagnosis), field('cab.file', file), send);
    req.card.insertBefore(form, req.out);
    const notes = Cabinet.section('cab-notes', 'cab.notifications');

    const load = async () => {
      const r = await Api.call('GET', '/v1/me/requests');
      Cabinet.show(req, r, (d) => Cabinet.table(
        ['cab.col.id', 'cab.col.date', 'cab.col.category', 'cab.col.amount', 'cab.col.approved', 'cab.col.status'],
        d.requests.map((q) => [`R-${q.id}`, q.service_date, q.category, Cabinet.rub(q.amount_kopecks),
          q.approved_kopecks ? Cabinet.rub(q.approved_kopecks) : '—', I18N.lang === 'ru' ? q.status_ru : q.status])));
      const n = await Api.call('GET', '/v1/me/notifications');
      Cabinet.show(notes, n, (d) => Cabinet.el('ul', { class: 'notes' },
        ...d.notifications.map((x) => Cabinet.el('li', {}, `${x.created_at.slice(0, 10)} — ${x.subject}`))));
    };
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      req.error.hidden = true;
      const body = { service_date: date.value, category: category.value, amount: amount.value.replace(',', '.'),
        clinic: clinic.value, diagnosis: diagnosis.value };
      const r = await Api.call('POST', '/v1/me/requests', body);
      if (!r.ok) { req.error.textContent = Api.describe(r.error); req.error.hidden = false; return; }
      if (file.files.length) {
        const f = file.files[0];
        const up = await fetch(`/v1/me/requests/${r.data.id}/documents?name=${encodeURIComponent(f.name)}`, {
          method: 'POST', headers: { Authorization: `Bearer ${Api.key}`, 'Content-Type': f.type || 'application/octet-stream' }, body: f });
        if (!up.ok) {
          const e = await up.json().catch(() => ({}));
          req.error.textContent = (e.error && e.error.message) || `HTTP ${up.status}`;
          req.error.hidden = false;
        }
      }
      form.reset();
      load();
    });
    return load;
  },

  // ---- the HR page -------------------------------------------------------------
  hr() {
    const req = Cabinet.section('cab-hr-requests', 'cab.hr.requests');
    const fin = Cabinet.section('cab-finance', 'cab.finance');
    const log = Cabinet.section('cab-log', 'cab.log');
    return async () => {
      const r = await Api.call('GET', '/v1/requests');
      const c = await Api.call('GET', '/v1/request-counts');
      Cabinet.show(req, r, (d) => {
        const box = Cabinet.el('div');
        if (c.ok) {
          const counts = Object.entries(c.data.by_status).map(([k, v]) => `${k}: ${v === null ? '<5' : v}`).join(' · ');
          box.append(Cabinet.el('p', { class: 'hint' }, `${I18N.t('cab.hr.counts')}: ${counts}`));
        }
        box.append(Cabinet.table(
          ['cab.col.id', 'cab.col.employee', 'cab.col.filed', 'cab.col.date', 'cab.col.category', 'cab.col.amount', 'cab.col.approved', 'cab.col.status'],
          d.requests.map((q) => [`R-${q.id}`, q.employee_id, q.filed_date, q.service_date, q.category,
            Cabinet.rub(q.amount_kopecks), q.approved_kopecks ? Cabinet.rub(q.approved_kopecks) : '—',
            I18N.lang === 'ru' ? q.status_ru : q.status])));
        return box;
      });
      const f = await Api.call('GET', '/v1/finance/debts');
      Cabinet.show(fin, f, (d) => {
        const box = Cabinet.el('div');
        box.append(Cabinet.el('p', {}, `${I18N.t('cab.finance.open')}: ${Cabinet.rub(d.open_kopecks)}, ${I18N.t('cab.finance.overdue')}: ${Cabinet.rub(d.overdue_kopecks)}`));
        box.append(Cabinet.table(['cab.col.invoice', 'cab.col.due', 'cab.col.open', 'cab.col.status'],
          d.invoices.map((v) => [v.number, v.due, Cabinet.rub(v.open_kopecks), I18N.lang === 'ru' ? v.state_ru : v.state])));
        if (d.upcoming) box.append(Cabinet.el('p', { class: 'hint' }, `${I18N.t('cab.finance.next')}: ${d.upcoming.period_from} – ${d.upcoming.period_to}, ${d.upcoming.due}, ${Cabinet.rub(d.upcoming.amount_kopecks)}`));
        return box;
      });
      const l = await Api.call('GET', '/v1/notification-log');
      Cabinet.show(log, l, (d) => Cabinet.table(['cab.col.at', 'cab.col.event', 'cab.col.to', 'cab.col.what'],
        d.log.slice(-50).reverse().map((x) => [x.at.slice(0, 19).replace('T', ' '), x.event,
          x.employee_id ? `${x.role} ${x.employee_id}` : x.role, x.subject])));
    };
  },
};

document.addEventListener('DOMContentLoaded', () => {
  const page = location.pathname.endsWith('employee.html') ? 'employee'
    : location.pathname.endsWith('hr.html') ? 'hr' : '';
  if (!page || !document.querySelector('main')) return;
  const load = page === 'employee' ? Cabinet.employee() : Cabinet.hr();
  document.querySelectorAll('#cab-requests, #cab-notes, #cab-hr-requests, #cab-finance, #cab-log')
    .forEach((s) => s.querySelector('button.secondary').addEventListener('click', load));
  const auth = document.getElementById('auth-form');
  if (auth) auth.addEventListener('submit', () => setTimeout(load, 300));
  // The page's own script reads the stored key on load; follow it.
  setTimeout(() => { if (Api.key) load(); }, 300);
});
