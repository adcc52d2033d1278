// replay.js: the chat replay page /s/{room_id}/replay[?t=SECONDS]
// (CONTRACT §12). Plays a stream's chat in time: a clock runs from the
// stream's start (0:00:00) to its end (or to now, for a live stream), and
// each message appears when the clock passes its offset_ms. Messages come
// from GET …/chat/replay?from=&to= (seconds from started_at), fetched in
// 60 s windows ahead of the clock, following has_more. A seek shows the last
// 50 messages up to the new position at once and plays on from there.
// Messages are drawn as on the chat page (render.js), replies with their
// parent quoted (replies.js). The clock's position is in #clock's data-ms.
import { ApiError, api, currentToken, roomFromPath, storeToken, storedToken, streamPath, urlToken } from './api.js';
import { mountAccount, openLogin } from './account.js';
import { $, clear, el, say } from './dom.js';
import { messageItem, timeText } from './render.js';
import { ReplyQuotes } from './replies.js';

const WINDOW_MS = 60000;       // one request's span
const AHEAD_MS = 30000;        // keep at least this much fetched ahead of the clock
const CONTEXT = 50;            // messages shown at once after a seek
const MAX_SHOWN = 300;         // older ones leave the list
const TICK_MS = 100;
const LIVE_MARGIN_MS = 3000;   // on a live stream, the newest seconds may still get messages
const LIVE_POLL_MS = 2000;     // how often the live edge is read again
const RETRY_MS = 3000;         // after a failed request
const MAX_PAGES = 200;         // has_more pages followed for one window
const TAIL_MS = 5000;          // read past ended_at: a burst's last messages may be stamped after it
const BACK_SPANS = [10000, 50000, 540000, 3000000];  // then 3600 s at a time

const room = roomFromPath();
const ui = {
  title: $('#stream-title'), member: $('#stream-member'), when: $('#stream-when'), pill: $('#replay-pill'),
  notice: $('#replay-notice'), list: $('#messages'), empty: $('#replay-empty'), jump: $('#jump'),
  play: $('#play'), clock: $('#clock'), length: $('#length'), seek: $('#seek'), speed: $('#speed'),
  status: $('#replay-status'),
};

const state = {
  stream: null,
  startedMs: 0,
  endedMs: null,      // null while the stream is live
  token: null,
  pos: 0,             // the clock: ms from started_at
  playing: false,
  atEnd: false,
  speed: 1,
  last: 0,            // performance.now() of the last tick
  gen: 0,             // bumped by every seek; answers for an older one are dropped
  seeking: false,     // reading a seek's messages: the clock waits
  pending: [],        // fetched, not shown yet, by offset
  seen: new Set(),    // ids fetched since the last seek
  shown: new Map(),   // id → {m, li}
  loadedTo: 0,        // ms: everything up to here is fetched
  lastOffset: 0,      // the latest offset_ms fetched
  fetching: false,
  retryAt: 0,         // performance.now() before which no window is fetched
  dragging: false,    // the seek bar is being dragged
  timer: null,
};
const quotes = new ReplyQuotes(room);

// ---- time ------------------------------------------------------------------

// 3723000 → "1:02:03".
export function clockText(ms) {
  const s = Math.floor(Math.max(0, ms) / 1000);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${mm}:${ss}`;
}

// The stream's length so far: to ended_at (or its last message, if stamped
// later), or to now while it is live.
function length() {
  if (!state.startedMs) return 0;
  const end = state.endedMs ?? Date.now();
  return Math.max(0, end - state.startedMs, state.lastOffset);
}

const live = () => state.endedMs === null;
const secs = (ms) => (Math.max(0, ms) / 1000).toFixed(3);
const byOffset = (a, b) => a.offset_ms - b.offset_ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// ---- the replay API ----------------------------------------------------------

async function replayPage(fromMs, toMs) {
  const q = new URLSearchParams({ from: secs(fromMs), to: secs(toMs) });
  if (Number(q.get('to')) <= Number(q.get('from'))) return { data: [], has_more: false };  // an empty window
  const res = await api('GET', `${streamPath(room)}/chat/replay?${q}`, { token: state.token });
  if (res?.ended_at && live()) setEnded(res.ended_at);
  return res;
}

// Every message in [fromMs, toMs], following has_more; null if a seek came meanwhile.
async function readRange(fromMs, toMs, gen) {
  const out = new Map();
  let from = fromMs;
  for (let i = 0; i < MAX_PAGES && from <= toMs; i++) {
    const res = await replayPage(from, toMs);
    if (gen !== state.gen) return null;
    const data = res?.data || [];
    for (const m of data) out.set(m.id, m);
    if (!res?.has_more || !data.length) break;
    // Ask again from the last one's offset (a millisecond early: ids dedupe).
    from = Math.max(data.at(-1).offset_ms - 1, from + 1);
  }
  return [...out.values()];
}

// The last CONTEXT messages at or before ms (oldest first), reading back in
// growing windows; null if a seek came meanwhile.
async function lastBefore(ms, gen) {
  const got = new Map();
  let to = ms;
  for (let i = 0; to > 0 && got.size < CONTEXT; i++) {
    const from = Math.max(0, to - (BACK_SPANS[i] ?? 3600000));
    const part = await readRange(from, to, gen);
    if (part === null) return null;
    for (const m of part) if (m.offset_ms <= ms) got.set(m.id, m);
    to = from;
  }
  return [...got.values()].sort(byOffset).slice(-CONTEXT);
}

// Keeps the next window coming while the clock runs.
async function fetchAhead() {
  if (state.fetching || state.seeking || !state.token) return;
  const len = length();
  if (!live() && state.loadedTo >= len + TAIL_MS) return;  // all of it is here
  if (state.loadedTo >= state.pos + AHEAD_MS) return;       // enough ahead
  if (performance.now() < state.retryAt) return;
  const gen = state.gen;
  const from = state.loadedTo;
  const to = from + WINDOW_MS;
  state.fetching = true;
  try {
    const res = await replayPage(from, to);
    if (gen !== state.gen) return;
    const data = res?.data || [];
    add(data);
    say(ui.status, '');
    if (res?.has_more && data.length) {
      state.loadedTo = Math.max(data.at(-1).offset_ms - 1, from + 1);
    } else {
      // On a live stream only what is a few seconds old is complete.
      const edge = live() ? Date.now() - state.startedMs - LIVE_MARGIN_MS : Infinity;
      state.loadedTo = Math.max(from, Math.min(to, edge));
      if (live() && to > edge) state.retryAt = performance.now() + LIVE_POLL_MS;
    }
  } catch (err) {
    if (gen !== state.gen) return;
    if (failed(err)) return;
    say(ui.status, `The chat cannot be loaded right now (${err.message}); trying again…`, 'error');
    state.retryAt = performance.now() + RETRY_MS;
  } finally {
    if (gen === state.gen) state.fetching = false;
  }
}

// A refusal that retrying cannot help: said in words, the replay stops. True if handled.
function failed(err) {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 401) {
    storeToken(null);
    stop('Your login has expired or is not valid here. Log in again to watch the replay.', true);
    return true;
  }
  if (err.code === 'stream_not_found') {
    ui.title.textContent = 'No such stream';
    stop('There is no stream with this id.');
    return true;
  }
  if (err.status === 403 || err.status === 400) {
    stop(`The replay cannot be shown: ${err.message}`);
    return true;
  }
  return false;
}

// ---- the list ----------------------------------------------------------------

// Fetched messages wait in `pending` until the clock reaches them.
function add(messages) {
  let fresh = false;
  for (const m of messages) {
    if (!m?.id || state.seen.has(m.id) || typeof m.offset_ms !== 'number') continue;
    state.seen.add(m.id);
    state.lastOffset = Math.max(state.lastOffset, m.offset_ms);
    quotes.learn(m);
    state.pending.push(m);
    fresh = true;
  }
  if (fresh) state.pending.sort(byOffset);
}

const nearBottom = () => ui.list.scrollHeight - ui.list.scrollTop - ui.list.clientHeight < 48;
function scrollToEnd() {
  ui.list.scrollTop = ui.list.scrollHeight;
  ui.jump.hidden = true;
}

function item(m) {
  const li = messageItem(m, { showTime: false, quotes });
  li.dataset.offset = String(m.offset_ms);
  const time = el('time', { class: 'time', text: clockText(m.offset_ms), datetime: m.created_at, title: timeText(m.created_at) });
  const quote = li.querySelector(':scope > .reply-quote');
  if (quote) quote.after(time);
  else li.prepend(time);
  return li;
}

// Shows m in offset order (a late answer may bring one before the newest shown).
function show(m) {
  if (state.shown.has(m.id)) return;
  const li = item(m);
  let after = null;
  for (let node = ui.list.lastElementChild; node; node = node.previousElementSibling) {
    const other = state.shown.get(node.dataset.id);
    if (other && byOffset(other.m, m) < 0) { after = node; break; }
  }
  if (after) after.after(li);
  else ui.list.prepend(li);
  state.shown.set(m.id, { m, li });
  while (state.shown.size > MAX_SHOWN) {
    const first = ui.list.firstElementChild;
    state.shown.delete(first.dataset.id);
    first.remove();
  }
}

// Shows every fetched message the clock has passed.
function release() {
  if (!state.pending.length || state.pending[0].offset_ms > state.pos) return;
  const stick = nearBottom();
  while (state.pending.length && state.pending[0].offset_ms <= state.pos) show(state.pending.shift());
  if (stick) scrollToEnd();
  else ui.jump.hidden = false;
}

function resetList() {
  state.pending = [];
  state.seen.clear();
  state.shown.clear();
  clear(ui.list);
  ui.jump.hidden = true;
}

// ---- the clock -----------------------------------------------------------------

function setEnded(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return;
  state.endedMs = t;
  ui.pill.hidden = false;
  ui.pill.textContent = 'ENDED';
  ui.pill.dataset.ended = 'true';
  drawWhen();
}

function tick() {
  const now = performance.now();
  const dt = Math.max(0, now - state.last);
  state.last = now;
  const len = length();
  if (state.playing && !state.seeking) {
    let pos = state.pos + dt * state.speed;
    // Wait for a window on its way rather than run past messages not here yet.
    if (state.fetching && pos > state.loadedTo && state.loadedTo < len) pos = Math.max(state.pos, state.loadedTo);
    if (pos >= len) {
      pos = len;
      if (!live()) {
        state.playing = false;
        state.atEnd = true;
      }
    }
    state.pos = pos;
  }
  release();
  draw(len);
  fetchAhead();
}

function draw(len = length()) {
  const pos = Math.min(state.pos, len);
  ui.clock.textContent = clockText(pos);
  ui.clock.dataset.ms = String(Math.floor(pos));
  ui.clock.setAttribute('datetime', `PT${Math.floor(pos / 1000)}S`);
  ui.length.textContent = clockText(len);
  ui.seek.max = String(Math.floor(len / 100) / 10);
  if (!state.dragging) ui.seek.value = String(Math.floor(pos / 100) / 10);
  ui.seek.setAttribute('aria-valuetext', `${clockText(pos)} of ${clockText(len)}`);
  ui.seek.style.setProperty('--done', `${len ? (pos / len) * 100 : 0}%`);
  const name = state.seeking ? 'loading' : state.playing ? 'playing' : state.atEnd ? 'ended' : 'paused';
  document.body.dataset.state = name;
  ui.play.textContent = state.playing ? '❚❚' : state.atEnd ? '↺' : '▶';
  const label = state.playing ? 'Pause' : state.atEnd ? 'Play again from the start' : 'Play';
  ui.play.setAttribute('aria-label', label);
  ui.play.title = `${label} (space)`;
  ui.empty.hidden = state.seeking || ui.list.childElementCount > 0;
}

function play() {
  if (state.atEnd || (!live() && state.pos >= length())) {
    state.playing = true;
    seek(0);
    return;
  }
  state.playing = true;
  state.last = performance.now();
  draw();
}

function pause() {
  state.playing = false;
  draw();
}

// Jumps to ms: the list shows the last messages up to there, then plays on.
async function seek(ms) {
  const gen = ++state.gen;
  // To the end of an ended stream: its very last messages, even those stamped after ended_at.
  const toEnd = !live() && ms >= length();
  state.pos = Math.round(Math.max(0, Math.min(ms, length())));
  state.atEnd = false;
  state.seeking = true;
  state.fetching = false;
  state.retryAt = 0;
  resetList();
  draw();
  let before;
  try {
    before = await lastBefore(toEnd ? state.pos + TAIL_MS : state.pos, gen);
    if (before?.length && toEnd) state.pos = Math.max(state.pos, before.at(-1).offset_ms);
  } catch (err) {
    if (gen !== state.gen) return;
    if (failed(err)) return;
    say(ui.status, `The chat cannot be loaded right now (${err.message}); trying again…`, 'error');
    before = [];
    state.retryAt = performance.now() + RETRY_MS;
  }
  if (before === null || gen !== state.gen) return;
  add(before);
  state.loadedTo = state.pos;
  state.seeking = false;
  state.last = performance.now();
  release();
  scrollToEnd();
  draw();
  fetchAhead();
}

// The replay cannot go on: says why, stops the clock.
function stop(text, withLogin = false) {
  state.gen++;
  state.playing = false;
  state.seeking = false;
  clearInterval(state.timer);
  state.timer = null;
  ui.play.disabled = ui.seek.disabled = true;
  clear(ui.notice);
  ui.notice.append(el('span', { text }));
  if (withLogin) ui.notice.append(el('button', { class: 'primary', type: 'button', text: 'Log in', onclick: openLogin }));
  ui.notice.hidden = false;
  draw();
  document.body.dataset.state = 'stopped';
}

// ---- controls ------------------------------------------------------------------

ui.play.addEventListener('click', () => (state.playing ? pause() : play()));
ui.seek.addEventListener('input', () => {
  state.dragging = true;
  ui.clock.textContent = clockText(Math.round(Number(ui.seek.value) * 1000));
});
ui.seek.addEventListener('change', () => {
  state.dragging = false;
  seek(Math.round(Number(ui.seek.value) * 1000));
});
ui.speed.addEventListener('change', () => {
  state.speed = Number(ui.speed.value) || 1;
});
// Space plays and pauses, ← and → step 10 s (when no control has the keyboard).
document.addEventListener('keydown', (e) => {
  if (ui.play.disabled || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.target.closest?.('input, select, textarea, button, dialog, a')) return;
  if (e.key === ' ' || e.key === 'k') {
    e.preventDefault();
    if (state.playing) pause(); else play();
  } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
    e.preventDefault();
    seek(state.pos + (e.key === 'ArrowRight' ? 10000 : -10000));
  }
});
ui.list.addEventListener('scroll', () => { if (nearBottom()) ui.jump.hidden = true; });
ui.jump.addEventListener('click', scrollToEnd);
// A click on a quote shows its parent, when the list has it.
ui.list.addEventListener('click', (e) => {
  const quote = e.target.closest('.reply-quote');
  const parent = quote && state.shown.get(quote.dataset.replyTo);
  if (!parent) return;
  parent.li.scrollIntoView({ block: 'center', behavior: 'smooth' });
  parent.li.classList.remove('flash');
  void parent.li.offsetWidth;  // restart the animation
  parent.li.classList.add('flash');
});

// ---- the page --------------------------------------------------------------------

function drawWhen() {
  const s = state.stream;
  if (!s?.started_at) return;
  const started = new Date(s.started_at);
  const day = started.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
  ui.when.textContent = live()
    ? `live since ${day}, ${timeText(s.started_at)}`
    : `${day}, ${timeText(s.started_at)} – ${timeText(new Date(state.endedMs).toISOString())}`;
}

async function loadStream() {
  try {
    state.stream = await api('GET', streamPath(room));
  } catch (err) {
    ui.title.textContent = err.code === 'stream_not_found' ? 'No such stream' : 'The stream cannot be loaded';
    stop(err.code === 'stream_not_found' ? 'There is no stream with this id.' : `The stream cannot be loaded: ${err.message}`);
    return false;
  }
  const s = state.stream;
  document.title = `Chat replay: ${s.title} · Sorak`;
  ui.title.textContent = s.title;
  const m = s.member;
  ui.member.textContent = [s.room_name !== s.title ? s.room_name : '', m && m.name ? `${m.name}${m.team ? ` (${m.team})` : ''}` : ''].filter(Boolean).join(' · ');
  state.startedMs = Date.parse(s.started_at);
  if (Number.isNaN(state.startedMs)) {
    stop('This stream has not started yet: there is no chat to replay.');
    return false;
  }
  if (s.ended_at) setEnded(s.ended_at);
  else {
    ui.pill.hidden = false;
    ui.pill.textContent = 'LIVE';
  }
  drawWhen();
  return true;
}

// With a login: start at ?t= (seconds), playing.
function start() {
  state.token = currentToken();
  quotes.token = state.token;
  resetList();
  if (!state.token) {
    stop('Log in to watch the chat replay.', true);
    return;
  }
  ui.notice.hidden = true;
  ui.play.disabled = ui.seek.disabled = false;
  const t = Number(new URLSearchParams(location.search).get('t'));
  state.playing = true;
  state.last = performance.now();
  clearInterval(state.timer);
  state.timer = setInterval(tick, TICK_MS);
  seek(Number.isFinite(t) && t > 0 ? t * 1000 : 0);
}

$('#chat-link').href = `/s/${encodeURIComponent(room)}`;
$('#stats-link').href = `/s/${encodeURIComponent(room)}/stats`;
mountAccount($('#account'));

// A token handed over in the URL (#token=…) is kept, then taken off the URL (?t= stays).
if (urlToken()) {
  storeToken(urlToken());
  const q = new URLSearchParams(location.search);
  q.delete('token');
  history.replaceState(null, '', location.pathname + (q.size ? `?${q}` : ''));
}
let lastToken = storedToken();
let ready = false;
window.addEventListener('sorak:token', () => {
  if (storedToken() === lastToken) return;
  lastToken = storedToken();
  if (ready) start();
});

if (await loadStream()) {
  ready = true;
  start();
}
