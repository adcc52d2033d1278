// stats.js: /s/{room_id}/stats. Totals, messages and stars per minute as
// charts, top gifters and top chatters, refreshed every 15 s. Reads
// GET /api/v1/streams/{id}/stats with the login, ?token= / #token=, or
// ?apikey= (a Showroom API key).
import { api, currentToken, roomFromPath, streamPath } from './api.js';
import { mountAccount } from './account.js';
import { barChart } from './charts.js';
import { $, clear, el, say } from './dom.js';
import { whoLine, starsText } from './render.js';

const REFRESH_MS = 15000;
const LAST_MINUTES = 60;
const room = roomFromPath();
const apikey = new URLSearchParams(location.search).get('apikey');
let last = null;

function totals(s) {
  const items = [
    ['Messages', s.total_messages], ['Chatters', s.unique_users], ['Per minute', s.messages_per_minute],
    ['Stars', s.total_stars], ['Gifts', s.gift_count], ['Viewers now', s.viewers], ['Peak viewers', s.peak_viewers],
    ['Duration', s.duration],
  ];
  const list = clear($('#totals'));
  for (const [label, value] of items) {
    list.append(el('li', {}, el('span', { class: 'value', text: value ?? '–' }), el('span', { class: 'label', text: label })));
  }
}

function ranking(list, rows, amount) {
  clear(list);
  if (!rows.length) list.append(el('li', { class: 'hint', text: 'Nobody yet.' }));
  for (const row of rows) list.append(el('li', {}, whoLine(row.user), el('span', { class: 'amount', text: amount(row) })));
}

function charts(s) {
  const timeline = (s.timeline || []).slice(-LAST_MINUTES);
  for (const [id, key, cls, unit] of [['#chart-messages', 'messages', 'bar-messages', 'messages'],
    ['#chart-stars', 'stars', 'bar-stars', 'stars']]) {
    const slot = $(id);
    const width = slot.clientWidth || 400;
    clear(slot).append(barChart(timeline.map((t) => ({ minute: t.minute, value: t[key] })), { width, cls, unit }));
  }
}

function draw(s) {
  last = s;
  totals(s);
  charts(s);
  ranking($('#top-gifters'), s.top_gifters || [], (r) => `⭐ ${starsText(r.stars)}`);
  ranking($('#top-chatters'), s.top_chatters || [], (r) => `${r.messages} msg`);
  document.body.dataset.loaded = 'true';
}

async function refresh() {
  const status = $('#stats-status');
  const token = currentToken();
  if (!token && !apikey) return say(status, 'Log in (or add ?apikey= to the URL) to see the stats.', 'error');
  try {
    const q = apikey ? `?top=10&apikey=${encodeURIComponent(apikey)}` : '?top=10';
    const [stream, stats] = await Promise.all([
      api('GET', streamPath(room)),
      api('GET', `${streamPath(room)}/stats${q}`, { token: apikey ? undefined : token }),
    ]);
    document.title = `Stats: ${stream.title} · Sorak`;
    $('#stats-title').textContent = stream.title;
    $('#stats-sub').textContent = `Room ${stream.room_id} · ${stream.status === 'live' ? 'live' : 'ended'} · the last ${LAST_MINUTES} minutes`;
    say(status, '');
    draw(stats);
  } catch (err) {
    say(status, `The stats cannot be loaded: ${err.message}`, 'error');
  }
}

$('#chat-link').href = `/s/${encodeURIComponent(room)}`;
mountAccount($('#account'));
window.addEventListener('sorak:token', refresh);
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (last) charts(last); }, 150);
});
await refresh();
setInterval(refresh, REFRESH_MS);
