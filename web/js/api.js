// Talking to the dmsrate API from the pages: JSON requests with the access
// key as a Bearer token, the one error shape of the API
// ({"error":{"code","message","path","line","column"}}) shown next to the
// field it concerns, money formatting and file downloads. No framework.
'use strict';

const Api = {
  key: '',
  storageKey: 'dms.key',

  loadKey(scope) {
    this.storageKey = `dms.key.${scope}`;
    try { this.key = sessionStorage.getItem(this.storageKey) || ''; } catch (e) { this.key = ''; }
    return this.key;
  },
  saveKey(key) {
    this.key = key.trim();
    try {
      if (this.key) sessionStorage.setItem(this.storageKey, this.key);
      else sessionStorage.removeItem(this.storageKey);
    } catch (e) { /* private mode */ }
  },

  // Resolves to {ok, status, data, text, error}; never rejects. error is the
  // API's error object, or a local one for a network failure.
  async call(method, path, body, { accept = 'application/json', timeoutMs = 60000 } = {}) {
    // The API answers errors and warnings in the page's language.
    const headers = { Accept: accept, 'Accept-Language': I18N.lang === 'en' ? 'en' : 'ru' };
    if (this.key) headers.Authorization = `Bearer ${this.key}`;
    const init = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    init.signal = ctl.signal;
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      clearTimeout(timer);
      return { ok: false, status: 0, error: { code: 'network', message: I18N.t('common.network'), path: '' } };
    }
    let text = '';
    // Decoded keeping a leading BOM (res.text() drops it): a CSV for
    // Russian Excel must be saved with it.
    try { text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer()); } catch (e) { text = ''; }
    clearTimeout(timer);
    const type = res.headers.get('Content-Type') || '';
    let data = null;
    if (type.includes('json') && text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    // A long run answers 202 with a job: wait for it and hand back its
    // answer as if it had come at once (GET /v1/jobs/{id}).
    if (res.status === 202 && data && data.href) return this.waitJob(data.href, timeoutMs);
    if (res.ok) return { ok: true, status: res.status, data, text };
    const error = (data && data.error) || { code: `http_${res.status}`, message: `HTTP ${res.status}`, path: '' };
    return { ok: false, status: res.status, data, text, error };
  },

  async waitJob(href, timeoutMs) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const job = await this.call('GET', href);
      if (!job.ok) return job;
      const status = job.data.http_status;
      if (job.data.status !== 'running') {
        const data = job.data.result;
        if (status < 400) return { ok: true, status, data, text: JSON.stringify(data) };
        const error = (data && data.error) || { code: `http_${status}`, message: `HTTP ${status}`, path: '' };
        return { ok: false, status, data, text: '', error };
      }
      if (Date.now() > until) {
        return { ok: false, status: 0, error: { code: 'network', message: I18N.t('common.network'), path: '' } };
      }
    }
  },

  // Text of an error for people: the message with its line and column.
  describe(error) {
    let where = '';
    if (error.line) where = `${I18N.t('common.line')} ${error.line}, ${I18N.t('common.column')} ${error.column}: `;
    return where + (error.message || error.code);
  },
};

// Shows err next to the field it concerns: the element among `fields`
// ({pointer prefix: element}) with the longest prefix of err.path, or the
// fallback element. Returns the element used.
function showError(error, fields, fallback) {
  let best = null;
  let bestLen = -1;
  const path = error.path || '';
  for (const [prefix, el] of Object.entries(fields || {})) {
    if (el && (path === prefix || path.startsWith(`${prefix}/`) || prefix === '') && prefix.length > bestLen) {
      best = el;
      bestLen = prefix.length;
    }
  }
  const target = best || fallback;
  if (!target) return null;
  target.textContent = Api.describe(error);
  target.dataset.code = error.code || '';
  target.dataset.path = path;
  target.hidden = false;
  const field = target.previousElementSibling;
  if (field && field.classList) field.classList.add('invalid');
  return target;
}

function clearErrors(root = document) {
  root.querySelectorAll('.field-error').forEach((el) => { el.hidden = true; el.textContent = ''; });
  root.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
}

// 1234567.8 -> "1 234 567,80 ₽" (ru) or "₽1,234,567.80" style (en).
function money(value, { kopecks = false, digits = 0 } = {}) {
  const v = kopecks ? value / 100 : value;
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return new Intl.NumberFormat(I18N.lang === 'ru' ? 'ru-RU' : 'en-GB', {
    style: 'currency', currency: 'RUB', minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(v);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// Offers text as a file download.
function download(name, text, type = 'text/csv;charset=utf-8') {
  const blob = new Blob([text], { type });
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function csvCell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  // A text cell a spreadsheet would run as a formula gets an apostrophe
  // (as the API's CSV writer does); numbers, negative ones too, stay numbers.
  if (typeof v !== 'number' && /^[=+\-@\t\r]/.test(s) && !/^-\d+([.,]\d+)?$/.test(s)) s = `'${s}`;
  return /[";\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// Boxes that scroll sideways on a phone (wide tables, charts) can be reached
// and scrolled with the keyboard.
document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('.table-wrap, #chart-segments, #chart-fan, #chart-compare, .chart-box').forEach((box) => {
    if (!box.hasAttribute('tabindex')) box.tabIndex = 0;
  });
});
