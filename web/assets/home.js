// home.js: the live streams, with their viewers and titles, each a link to
// its chat. The stream list carries each stream's viewers, so no login is
// needed to see them.
import { api } from './api.js';
import { mountAccount } from './account.js';
import { $, clear, el, say } from './dom.js';

const REFRESH_MS = 15000;

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

async function refresh() {
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
