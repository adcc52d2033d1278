// home.js: the live streams, with their viewers and titles, each a link to
// its chat. The stream list carries each stream's viewers, so no login is
// needed to see them. Under them, the streams that ended most recently, each
// a link to its chat replay (/s/{room_id}/replay).
import { api } from './api.js';
import { mountAccount } from './account.js';
import { $, clear, el, say } from './dom.js';

const REFRESH_MS = 15000;
const REPLAYS_SHOWN = 12;

function liveFor(startedAt) {
  const mins = Math.max(0, Math.floor((Date.now() - new Date(startedAt).getTime()) / 60000));
  return mins >= 60 ? `live for ${Math.floor(mins / 60)} h ${mins % 60} min` : `live for ${mins} min`;
}

function card(s) {
  const room = encodeURIComponent(s.room_id);
  const m = s.member;
  const who = [s.room_name !== s.title ? s.room_name : '', m && m.name ? `${m.name}${m.team ? ` · ${m.team}` : ''}` : '']
    .filter(Boolean).join(' — ');
  return el('li', { class: 'stream-card', data: { room: s.room_id } },
    el('div', { class: 'row' },
      el('span', { class: 'live-pill', text: 'LIVE' }),
      el('span', { class: 'viewers', data: { viewers: s.room_id }, text: `👁 ${s.viewers ?? 0} watching` }),
      el('span', { class: 'hint', text: liveFor(s.started_at) })),
    el('h2', {}, el('a', { href: `/s/${room}`, text: s.title })),
    who ? el('p', { class: 'meta', text: who }) : null,
    el('div', { class: 'row' },
      el('span', { class: 'hint', text: `Room ${s.room_id}` }),
      el('span', { class: 'card-links' },
        el('a', { href: `/s/${room}`, text: 'Chat' }),
        el('a', { href: `/s/${room}/stats`, text: 'Stats' }),
        el('a', { href: `/overlay/${room}`, text: 'Overlay' }))));
}

function lasted(s) {
  const mins = Math.max(0, Math.round((Date.parse(s.ended_at) - Date.parse(s.started_at)) / 60000));
  if (mins < 1) return 'under a minute';
  return mins >= 60 ? `${Math.floor(mins / 60)} h ${mins % 60} min` : `${mins} min`;
}

function replayCard(s) {
  const room = encodeURIComponent(s.room_id);
  const replay = `/s/${room}/replay`;
  const m = s.member;
  const who = [s.room_name !== s.title ? s.room_name : '', m && m.name ? `${m.name}${m.team ? ` · ${m.team}` : ''}` : '']
    .filter(Boolean).join(' — ');
  const ended = new Date(s.ended_at);
  return el('li', { class: 'replay-card', data: { stream: s.id } },
    el('div', { class: 'row' },
      el('span', { class: 'live-pill', data: { ended: 'true' }, text: 'ENDED' }),
      el('span', { class: 'hint', text: `${ended.toLocaleDateString([], { month: 'short', day: 'numeric' })}, ${lasted(s)}` })),
    el('h2', {}, el('a', { href: replay, text: s.title })),
    who ? el('p', { class: 'meta', text: who }) : null,
    el('div', { class: 'row' },
      el('span', { class: 'hint', text: `Room ${s.room_id}` }),
      el('span', { class: 'card-links' },
        el('a', { class: 'replay-open', href: replay, text: '▶ Chat replay' }),
        el('a', { href: `/s/${room}/stats`, text: 'Stats' }))));
}

// The streams that ended most recently, newest first (the list is best effort).
async function refreshEnded() {
  let streams;
  try {
    streams = (await api('GET', '/api/v1/streams?status=ended')).streams || [];
  } catch {
    return;
  }
  const recent = streams.filter((s) => s.started_at && s.ended_at)
    .sort((a, b) => (a.ended_at < b.ended_at ? 1 : a.ended_at > b.ended_at ? -1 : 0)).slice(0, REPLAYS_SHOWN);
  const list = clear($('#ended'));
  recent.forEach((s) => list.append(replayCard(s)));
  $('#replays').hidden = recent.length === 0;
}

async function refresh() {
  refreshEnded();
  const status = $('#home-status');
  let streams;
  try {
    streams = (await api('GET', '/api/v1/streams?status=live')).streams;
  } catch (err) {
    say(status, `The stream list cannot be loaded: ${err.message}`, 'error');
    return;
  }
  say(status, '');
  const list = clear($('#streams'));
  streams.forEach((s) => list.append(card(s)));
  $('#empty').hidden = streams.length > 0;
  document.body.dataset.loaded = 'true';
}

mountAccount($('#account'));
window.addEventListener('sorak:token', refresh);
await refresh();
setInterval(refresh, REFRESH_MS);
