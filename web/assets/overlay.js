// overlay.js: /overlay/{room_id} for OBS. Options in the query string:
//   token=JWT      the viewer token to read with (or #token=, or the login kept in this browser)
// (each may also be given in the fragment, after #token=…)
//   font=22        font size in px (10..96)
//   lines=12       most lines shown (1..50)
//   fade=30        seconds before a line fades out (0 = never)
//   hide_gifts=1   leave gifts out (gifts=0 works too)
//   hide_polls=1   leave polls out (polls=0 works too)
// The pinned message stays at the top (it does not fade); the open poll shows
// under it with live bars (no voting here), and its final result stays
// RESULT_SECONDS before it goes; a reply shows its parent quoted above it.
import { currentToken, roomFromPath } from './api.js';
import { ChatConnection } from './chat-client.js';
import { $, clear } from './dom.js';
import { PollCard } from './polls.js';
import { messageItem, pinBody } from './render.js';
import { ReplyQuotes } from './replies.js';

// Options may also follow a #token= in the fragment: #token=…&font=30.
const q = new URLSearchParams(location.search);
for (const [k, v] of new URLSearchParams(location.hash.slice(1))) if (!q.has(k)) q.set(k, v);
const clamp = (v, lo, hi, dflt) => {
  const n = Number(v);
  return v !== null && v !== '' && Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.round(n))) : dflt;
};
const options = {
  font: clamp(q.get('font'), 10, 96, 22),
  lines: clamp(q.get('lines'), 1, 50, 12),
  fade: clamp(q.get('fade'), 0, 3600, 30),
  hideGifts: q.get('hide_gifts') === '1' || q.get('hide_gifts') === 'true' || q.get('gifts') === '0',
  hidePolls: q.get('hide_polls') === '1' || q.get('hide_polls') === 'true' || q.get('polls') === '0',
};
const RESULT_SECONDS = 15;
document.body.style.setProperty('--font-size', `${options.font}px`);

const list = $('#lines');
const shown = new Set();

function note(text) {
  const p = $('#overlay-note');
  p.textContent = text;
  p.hidden = !text;
}

function fadeLater(li) {
  if (!options.fade) return;
  setTimeout(() => {
    li.classList.add('old');
    li.addEventListener('transitionend', () => li.remove(), { once: true });
  }, options.fade * 1000);
}

function add(m) {
  if (shown.has(m.id) || (options.hideGifts && m.message_type === 'gift')) return;
  shown.add(m.id);
  if (shown.size > 5000) shown.delete(shown.values().next().value);  // bounded: ids arrive in order
  const li = messageItem(m, { showTime: false, quotes });
  list.append(li);
  while (list.children.length > options.lines) list.firstElementChild.remove();
  fadeLater(li);
}

const removeWhere = (pred) => [...list.children].filter(pred).forEach((li) => li.remove());

function setPin(m) {
  const bar = $('#pin');
  clear(bar);
  bar.hidden = !m;
  if (!m) return;
  quotes.learn(m);
  bar.dataset.id = m.id;
  bar.append(pinBody(m));
}

const token = currentToken();
const quotes = new ReplyQuotes(roomFromPath(), token);
const poll = new PollCard($('#poll'), {
  room: roomFromPath(), token, linger: RESULT_SECONDS,
  onVisible: (shown) => document.body.classList.toggle('poll-on', shown),
});
if (!token) {
  note('Add ?token=<a viewer token> to this overlay URL.');
} else {
  new ChatConnection({
    room: roomFromPath(), token, handlers: {
      // On open, only the last few lines: an overlay shows what is said now.
      history: (messages, { first, backfill }) => {
        if (!backfill) setPin(null);  // until this connection's `pinned` says otherwise
        if (!backfill && !first && poll.poll) poll.refresh();  // it may have moved on meanwhile
        quotes.learn(messages);
        (first ? messages.slice(-options.lines) : messages).forEach(add);
      },
      message: (m) => { quotes.learn(m); add(m); },
      deleted: (id) => { quotes.deleted(id); removeWhere((li) => li.dataset.id === id); },
      cleared: (userId) => { quotes.cleared(userId); removeWhere((li) => li.dataset.user === userId); },
      pinned: setPin,
      poll: (p) => { if (!options.hidePolls) poll.show(p); },
      state: (name) => {
        if (name === 'unauthorized') note('The overlay token is not valid (expired?).');
        else if (name === 'unknown_stream') note('There is no stream with this id.');
        else note('');
      },
    },
  }).start();
}
