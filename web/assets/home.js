// home.js: the live streams, with their viewers and titles, each a link to
// its chat. Viewers come from each stream's stats, which need a login (any
// user); logged out, the list shows the streams without counts.
import { api, storedToken, streamPath } from './api.js';
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
      el('span', { class: 'viewers', data: { viewers: s.room_id }, text: '' }),
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

async function viewers(streams) {
  const token = storedToken();
  if (!token) return;
  await Promise.all(streams.slice(0, 48).map(async (s) => {
    try {
      const stats = await api('GET', `${streamPath(s.id)}/stats?top=1`, { token });
      const slot = document.querySelector(`[data-viewers="${CSS.escape(s.room_id)}"]`);
      if (slot) slot.textContent = `👁 ${stats.viewers} watching`;
    } catch { /* the count stays blank */ }
  }));
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
  await viewers(streams);
  document.body.dataset.loaded = 'true';
}

mountAccount($('#account'));
window.addEventListener('sorak:token', refresh);
await refresh();
setInterval(refresh, REFRESH_MS);
