// Charts drawn as inline SVG by hand (no library): grouped bars per
// segment and scenario, a fan of nested percentile bands of the group's
// total, and the stacked budget bar of the employee page. Every chart scales
// to its container through its viewBox, so it fits a phone screen.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const SCENARIO_COLORS = { optimistic: '#3d9970', base: '#1f5fa8', pessimistic: '#c0392b' };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Short money labels for axes in the page's number format: «33,2 млн ₽»,
// «350 тыс ₽», «1,5 млрд ₽» / "₽33.2M"; whole numbers lose the ",0".
function shortMoney(v) {
  const ru = I18N.lang === 'ru';
  const abs = Math.abs(v);
  const fmt = (x, digits) => new Intl.NumberFormat(ru ? 'ru-RU' : 'en-GB', { maximumFractionDigits: digits }).format(x);
  if (abs >= 1e9) return ru ? `${fmt(v / 1e9, 1)} млрд ₽` : `₽${fmt(v / 1e9, 1)}bn`;
  if (abs >= 1e6) return ru ? `${fmt(v / 1e6, 1)} млн ₽` : `₽${fmt(v / 1e6, 1)}M`;
  if (abs >= 1e3) return ru ? `${fmt(v / 1e3, 0)} тыс ₽` : `₽${fmt(v / 1e3, 0)}k`;
  return ru ? `${fmt(v, 0)} ₽` : `₽${fmt(v, 0)}`;
}

// A rounded-up axis maximum and its ticks.
function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw);
  const ticks = [];
  for (let t = 0; t <= max + step * 0.001; t += step) ticks.push(t);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

// Grouped vertical bars: groups [{label, values: {series: number}}],
// series [{key, label, color}]. Returns an <svg>.
function barChart({ groups, series, title }) {
  const width = 640;
  const height = 300;
  const m = { top: 30, right: 10, bottom: 70, left: 92 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const max = Math.max(1, ...groups.flatMap((g) => series.map((s) => g.values[s.key] || 0)));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart bar-chart', role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  for (const t of ticks) {
    const y = m.top + plotH - (t / top) * plotH;
    root.append(svg('line', { x1: m.left, x2: width - m.right, y1: y, y2: y, class: 'grid' }));
    root.append(svg('text', { x: m.left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, shortMoney(t)));
  }
  const groupW = plotW / Math.max(1, groups.length);
  const barW = Math.min(36, (groupW * 0.8) / series.length);
  groups.forEach((g, i) => {
    const x0 = m.left + i * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, j) => {
      const v = g.values[s.key] || 0;
      const h = (v / top) * plotH;
      const bar = svg('rect', {
        x: x0 + j * barW, y: m.top + plotH - h, width: Math.max(1, barW - 2), height: Math.max(0, h),
        fill: s.color, class: 'bar', 'data-series': s.key, 'data-group': g.label,
      });
      bar.append(svg('title', {}, `${g.label} — ${s.label}: ${money(v)}`));
      root.append(bar);
    });
    // Labels wrap onto two lines of what fits the group's width (about 6.5
    // units a character at the axis font), so neighbours never overlap.
    const perLine = Math.max(4, Math.floor((groupW - 6) / 6.5));
    const words = g.label.split(/\s+/);
    const lines = [''];
    for (const w of words) {
      const last = lines[lines.length - 1];
      if (!last || (last + ' ' + w).length <= perLine) lines[lines.length - 1] = last ? `${last} ${w}` : w;
      else lines.push(w);
    }
    const shown = lines.slice(0, 2).map((l, k) => {
      const cut = k === 1 && lines.length > 2 ? `${l}…` : l;
      return cut.length > perLine ? `${cut.slice(0, perLine - 1)}…` : cut;
    });
    shown.forEach((l, k) => {
      root.append(svg('text', {
        x: m.left + i * groupW + groupW / 2, y: m.top + plotH + 16 + 14 * k, 'text-anchor': 'middle', class: 'axis',
      }, l));
    });
  });
  root.append(svg('line', { x1: m.left, x2: width - m.right, y1: m.top + plotH, y2: m.top + plotH, class: 'axis-line' }));
  let lx = m.left;
  series.forEach((s) => {
    const y = height - 18;
    root.append(svg('rect', { x: lx, y: y - 10, width: 12, height: 12, fill: s.color }));
    root.append(svg('text', { x: lx + 18, y, class: 'legend' }, s.label));
    lx += 40 + s.label.length * 7;
  });
  return root;
}

// A fan of percentile bands per row: rows [{label, color, mean,
// p: {P50, P75, P90, P95, P99}}], drawn from P50 outwards, the outer
// bands lighter, the mean as a tick. Returns an <svg>.
function fanChart({ rows, title }) {
  const width = 640;
  const rowH = 54;
  const m = { top: 24, right: 44, bottom: 34, left: 120 };
  const height = m.top + m.bottom + rows.length * rowH;
  const plotW = width - m.left - m.right;
  const lo = Math.min(...rows.map((r) => Math.min(r.mean, r.p.P50))) * 0.9;
  const hi = Math.max(...rows.map((r) => r.p.P99)) * 1.02;
  const x = (v) => m.left + ((v - lo) / (hi - lo || 1)) * plotW;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart fan-chart', role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = lo + ((hi - lo) * i) / ticks;
    root.append(svg('line', { x1: x(v), x2: x(v), y1: m.top - 6, y2: height - m.bottom, class: 'grid' }));
    root.append(svg('text', { x: x(v), y: height - m.bottom + 16, 'text-anchor': 'middle', class: 'axis' }, shortMoney(v)));
  }
  const bands = [['P50', 'P99', 0.25], ['P50', 'P95', 0.45], ['P50', 'P90', 0.65], ['P50', 'P75', 0.9]];
  rows.forEach((r, i) => {
    const yc = m.top + i * rowH + rowH / 2;
    root.append(svg('text', { x: m.left - 8, y: yc + 4, 'text-anchor': 'end', class: 'axis' }, r.label));
    for (const [from, to, opacity] of bands) {
      const band = svg('rect', {
        x: x(r.p[from]), y: yc - 14, width: Math.max(1, x(r.p[to]) - x(r.p[from])), height: 28,
        fill: r.color, 'fill-opacity': opacity, class: 'band', 'data-band': `${from}-${to}`,
      });
      band.append(svg('title', {}, `${r.label}: ${from} ${money(r.p[from])} — ${to} ${money(r.p[to])}`));
      root.append(band);
    }
    root.append(svg('line', { x1: x(r.mean), x2: x(r.mean), y1: yc - 20, y2: yc + 20, class: 'mean' }));
    root.append(svg('text', { x: x(r.p.P99) + 4, y: yc - 16, class: 'axis small', 'text-anchor': 'end' }, 'P99'));
  });
  root.append(svg('text', { x: m.left, y: 14, class: 'legend' },
    I18N.lang === 'ru' ? 'полоса: P50–P75–P90–P95–P99, черта — среднее' : 'bands: P50–P75–P90–P95–P99, line: mean'));
  return root;
}

// The budget bar: segments [{key, label, value, color}] stacked along a
// total of `scale`; overflow past `limit` is drawn hatched red.
function budgetBar({ parts, limit, title }) {
  const width = 640;
  const height = 46;
  const total = parts.reduce((a, p) => a + Math.max(0, p.value), 0);
  const scale = Math.max(limit, total, 1);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart budget-bar', role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  root.append(svg('rect', { x: 0, y: 8, width, height: 30, rx: 6, class: 'budget-track' }));
  let at = 0;
  for (const p of parts) {
    if (!(p.value > 0)) continue;
    const w = (p.value / scale) * width;
    const r = svg('rect', { x: (at / scale) * width, y: 8, width: w, height: 30, fill: p.color, 'data-part': p.key });
    r.append(svg('title', {}, `${p.label}: ${money(p.value)}`));
    root.append(r);
    at += p.value;
  }
  const lx = (limit / scale) * width;
  root.append(svg('line', { x1: lx, x2: lx, y1: 2, y2: 44, class: 'budget-limit' }));
  return root;
}
