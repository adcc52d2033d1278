// charts.js: a per-minute bar chart drawn as SVG by our own code (the page
// works offline: no library, no CDN). Labels go in with textContent.
import { svg } from './dom.js';

const H = 200;
const PAD = { left: 40, right: 8, top: 10, bottom: 24 };
const MIN_SLOTS = 30;

// A round number ≥ max for the top of the y axis.
export function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const hhmm = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

// points: [{minute, value}] oldest first. width: the pixel width to draw at.
export function barChart(points, { width, cls, unit }) {
  const W = Math.max(200, Math.floor(width));
  const top = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': `${unit} per minute, up to ${top}` });
  // y axis: 0, half, top
  for (const v of Number.isInteger(top / 2) ? [0, top / 2, top] : [0, top]) {
    const y = PAD.top + plotH - (v / top) * plotH;
    chart.append(svg('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
    chart.append(svg('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end', text: String(Math.round(v * 10) / 10) }));
  }
  // At least MIN_SLOTS minutes wide, oldest at the left: a young stream's
  // few bars stay bars, not slabs.
  const step = plotW / Math.max(points.length, MIN_SLOTS);
  const barW = Math.max(1, Math.min(step * 0.8, 28));
  points.forEach((p, i) => {
    const h = (p.value / top) * plotH;
    const bar = svg('rect', { class: `bar ${cls}`, x: PAD.left + i * step + (step - barW) / 2, y: PAD.top + plotH - h,
      width: barW, height: Math.max(h, p.value > 0 ? 1 : 0) });
    bar.append(svg('title', { text: `${hhmm(p.minute)}: ${p.value} ${unit}` }));
    chart.append(bar);
  });
  if (points.length) {
    const y = H - 6;
    chart.append(svg('text', { x: PAD.left, y, text: hhmm(points[0].minute) }));
    const x = PAD.left + (points.length - 0.5) * step;
    if (points.length > 1) chart.append(svg('text', { x: Math.min(x, W - PAD.right), y, 'text-anchor': 'end', text: hhmm(points.at(-1).minute) }));
  }
  return chart;
}
