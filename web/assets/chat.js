// chat.js: the chat page /s/{room_id}: history on open, live messages, gifts,
// the viewer count, a box to send, a gift picker, replies (↩ on a message, the
// parent quoted above a reply), the pinned message in a bar above the list,
// the open poll in a card under it (click an option to vote), and for the
// broadcaster and moderators a menu on each message (pin, delete, time out,
// ban), an unpin button on the pin bar, the blocked terms panel, the poll form
// and "End poll". When the stream has a playback_url its video plays beside
// the chat (video.js); without one the chat takes the page's width. An ended
// stream links to its chat replay (/s/{room_id}/replay).
import { ApiError, api, currentToken, decodeToken, roomFromPath, storeToken, storedToken, streamPath, urlToken } from './api.js';
import { mountAccount, openLogin } from './account.js';
import { ChatConnection, compareMessages } from './chat-client.js';
import { $, clear, el, say } from './dom.js';
import { PollCard, rememberVote, rememberedVote } from './polls.js';
import { displayName, giftIcon, gist, messageItem, pinBody, starsText } from './render.js';
import { ReplyQuotes, startOf } from './replies.js';
import { playHls, playbackUrl } from './video.js';

const MAX_SHOWN = 500;
const room = roomFromPath();
const ui = {
  title: $('#stream-title'), member: $('#stream-member'), viewers: $('#viewers'), livePill: $('#live-pill'),
  videoBox: $('#video-box'), video: $('#video'), videoError: $('#video-error'), replayLink: $('#replay-link'),
  conn: $('#conn'), notice: $('#chat-notice'), list: $('#messages'), jump: $('#jump'), pending: $('#pending'),
  form: $('#composer'), input: $('#chat-input'), send: $('#send'), status: $('#composer-status'),
  giftToggle: $('#gift-toggle'), picker: $('#gift-picker'), giftGrid: $('#gift-grid'), giftQty: $('#gift-qty'),
  giftSend: $('#gift-send'), menu: $('#mod-menu'), menuWho: $('#mod-menu-who'),
  pinBar: $('#pin-bar'), pinContent: $('#pin-content'), pinRemove: $('#pin-remove'),
  replyBar: $('#reply-bar'), replyName: $('#reply-name'), replyText: $('#reply-text'), replyCancel: $('#reply-cancel'),
  termsOpen: $('#terms-open'), terms: $('#terms-dialog'), termsList: $('#terms-list'), termsForm: $('#terms-form'),
  termsInput: $('#terms-input'), termsAdd: $('#terms-add'), termsStatus: $('#terms-status'), termsClose: $('#terms-close'),
  poll: $('#poll-card'), pollOpen: $('#poll-open'), pollDialog: $('#poll-dialog'), pollForm: $('#poll-form'),
  pollQuestion: $('#poll-question'), pollChoices: $('#poll-choices'), pollAddChoice: $('#poll-add-choice'),
  pollDuration: $('#poll-duration'), pollCreate: $('#poll-create'), pollStatus: $('#poll-form-status'), pollClose: $('#poll-close'),
};

const state = {
  stream: null,
  token: null,
  me: null,            // the token's claims
  canModerate: false,
  ended: false,
  conn: null,
  shown: new Map(),    // message id → {m, li}
  gift: null,          // the gift picked in the picker
  menuFor: null,       // the message the moderator menu is open for
  pinned: null,        // the pinned message, or null
  replyTo: null,       // the message the next send replies to, or null
};
const quotes = new ReplyQuotes(room);

// ---- messages ------------------------------------------------------------

const nearBottom = () => ui.list.scrollHeight - ui.list.scrollTop - ui.list.clientHeight < 48;
function scrollToEnd() {
  ui.list.scrollTop = ui.list.scrollHeight;
  ui.jump.hidden = true;
}

const isNotice = (m) => m.message_type === 'moderation' || m.message_type === 'system';

// ⋯ on every message but notices (on one's own only "Pin": CSS shows it to
// moderators); ↩ on every message but notices (CSS shows it to whoever may send).
function messageTools(m) {
  if (isNotice(m)) return null;
  return el('span', { class: 'msg-tools' },
    el('button', { class: 'icon reply-open', type: 'button', title: 'Reply', 'aria-label': `Reply to ${displayName(m.user)}`,
      text: '↩', onclick: () => startReply(m) }),
    el('button', { class: 'icon mod-open', type: 'button', title: 'Moderate', 'aria-label': 'Moderate this message',
      'aria-haspopup': 'menu', text: '⋯', onclick: (e) => openMenu(m, e.currentTarget) }));
}

// Shows m once, in order (by created_at, then id), whatever path it came by.
function show(m) {
  if (!m || !m.id || state.shown.has(m.id)) return;
  const li = messageItem(m, { quotes });
  const tools = messageTools(m);
  if (tools) li.append(tools);
  const entry = { m, li };
  let after = null;  // the shown message m goes after
  for (let node = ui.list.lastElementChild; node; node = node.previousElementSibling) {
    const other = state.shown.get(node.dataset.id);
    if (other && compareMessages(other.m, m) < 0) { after = node; break; }
  }
  if (after) after.after(li);
  else ui.list.prepend(li);
  state.shown.set(m.id, entry);
  while (state.shown.size > MAX_SHOWN) remove(ui.list.firstElementChild.dataset.id);
}

// The server left chat lines out while this page fell behind (a slow link):
// one line says how many, where they were. They stay in the history.
function showSkipped(s) {
  if (!s || !(s.count > 0)) return;
  const lastNode = ui.list.lastElementChild;
  const last = lastNode && state.shown.get(lastNode.dataset.id);
  const m = { id: `${s.to_id}~skipped`, created_at: last ? last.m.created_at : '' };
  if (state.shown.has(m.id)) return;
  const stick = nearBottom();
  const li = el('li', { class: 'msg msg-notice msg-skipped', text: `${s.count} message${s.count === 1 ? '' : 's'} skipped: your connection fell behind` });
  li.dataset.id = m.id;
  ui.list.append(li);
  state.shown.set(m.id, { m, li });
  while (state.shown.size > MAX_SHOWN) remove(ui.list.firstElementChild.dataset.id);
  if (stick) scrollToEnd();
}

function remove(id) {
  const entry = state.shown.get(id);
  if (!entry) return;
  entry.li.remove();
  state.shown.delete(id);
  if (state.menuFor?.id === id) closeMenu();
}

// A message deleted (or purged) by a moderator: gone from the list, quoted as
// deleted, and no longer the one being replied to.
function gone(ids) {
  for (const id of ids) {
    quotes.deleted(id);
    remove(id);
    if (state.replyTo?.id === id) {
      cancelReply();
      say(ui.status, 'The message you were replying to was deleted.', 'info');
    }
  }
}

// ---- the pinned message --------------------------------------------------

function setPin(m) {
  state.pinned = m || null;
  clear(ui.pinContent);
  ui.pinBar.hidden = !state.pinned;
  if (!state.pinned) return;
  quotes.learn(m);
  ui.pinBar.dataset.id = m.id;
  ui.pinContent.append(pinBody(m));
}

function showMany(messages) {
  quotes.learn(messages);
  const stick = nearBottom();
  messages.forEach(show);
  if (stick || !messages.length) scrollToEnd();
  else ui.jump.hidden = false;
}

// ---- connection ----------------------------------------------------------

const CONN_TEXT = {
  connecting: 'Connecting…', reconnecting: 'Reconnecting…', live: 'Live', unauthorized: 'Logged out',
  logged_out: 'Not logged in',
  unknown_stream: 'No such stream',
};

function setConn(name, detail) {
  ui.conn.dataset.state = name;
  ui.conn.textContent = name === 'waiting'
    ? `Reconnecting in ${Math.max(1, Math.round(detail.delay / 1000))} s…`
    : CONN_TEXT[name] || name;
  const usable = name === 'live' && !state.ended;
  if (name !== 'live') poll.setBusy(false);  // a vote's answer is lost with the socket
  ui.input.disabled = !state.token || state.ended;
  ui.send.disabled = ui.input.disabled;
  ui.giftToggle.disabled = ui.input.disabled;
  document.body.classList.toggle('can-reply', !ui.input.disabled && !state.me?.read_only);
  if (name === 'unauthorized') {
    storeToken(null);
    notice('Your login has expired or is not valid here. Log in again to chat.', true);
  }
  if (name === 'unknown_stream') notice('There is no stream with this id.');
  if (usable) ui.notice.hidden = true;
  if (state.conn?.queue.length) drawPending(state.conn.queue);
}

function notice(text, withLogin = false) {
  clear(ui.notice);
  ui.notice.append(el('span', { text }));
  if (withLogin) ui.notice.append(el('button', { class: 'primary', type: 'button', text: 'Log in', onclick: openLogin }));
  ui.notice.hidden = false;
}

function connect() {
  state.conn?.stop();
  state.conn = null;
  state.shown.clear();
  clear(ui.list);
  drawPending([]);
  setPin(null);
  cancelReply();
  poll.hide();
  state.token = currentToken();
  state.me = state.token ? decodeToken(state.token) : null;
  quotes.token = state.token;
  poll.token = state.token;
  poll.setVoting(mayVote());
  state.canModerate = false;
  document.body.classList.remove('can-moderate');
  if (ui.terms.open) ui.terms.close();
  if (ui.pollDialog.open) ui.pollDialog.close();
  if (!state.token) {
    setConn('logged_out');
    notice('Pick a name to read and join the chat.', true);
    return;
  }
  ui.notice.hidden = true;
  checkModerator();
  state.conn = new ChatConnection({
    room, token: state.token, handlers: {
      history: (messages, info) => {
        if (!info?.backfill) setPin(null);  // until this connection's `pinned` says otherwise
        // A poll shown from before a reconnect may have moved on (or closed) meanwhile.
        if (!info?.backfill && !info?.first && poll.poll) poll.refresh();
        showMany(messages);
      },
      message: (m) => showMany([m]),
      deleted: (id) => gone([id]),
      cleared: (userId) => {
        quotes.cleared(userId);
        gone([...state.shown.values()].filter((e) => e.m.user?.id === userId).map((e) => e.m.id));
        if (state.replyTo?.user?.id === userId) gone([state.replyTo.id]);
      },
      pinned: setPin,
      viewers: (n) => {
        ui.viewers.hidden = false;
        ui.viewers.textContent = `👁 ${n} watching`;
      },
      streamStatus: (s) => { if (s === 'ended') streamEnded(); },
      skipped: showSkipped,
      state: setConn,
      sent: () => {},
      refused: (ev) => {
        say(ui.status, refusalText(ev), 'error');
        ui.status.dataset.code = ev.code;
      },
      queue: drawPending,
      poll: showPoll,
      voted: voted,
      voteRefused: voteRefused,
    },
  }).start();
}

function drawPending(items) {
  clear(ui.pending);
  for (const item of items) {
    const p = item.payload;
    const text = p.type === 'gift' ? `${giftIcon(p.gift_id)} ${p.quantity}× ${p.gift_id}` : p.content;
    const hint = state.conn?.live ? 'sending…' : 'waiting for the connection…';
    ui.pending.append(el('li', {}, el('span', { class: 'text', text }), el('span', { class: 'hint', text: hint })));
  }
}

async function checkModerator() {
  const me = state.me;
  try {
    const res = await api('GET', `${streamPath(room)}/users/${encodeURIComponent(me.sub)}/badges`, { token: state.token });
    if (me !== state.me) return;
    state.canModerate = res.badges.includes('broadcaster') || res.badges.includes('moderator');
    document.body.classList.toggle('can-moderate', state.canModerate);
  } catch { /* not a moderator as far as this page can tell */ }
}

function streamEnded() {
  state.ended = true;
  ui.livePill.textContent = 'ENDED';
  ui.livePill.dataset.ended = 'true';
  ui.replayLink.hidden = false;
  ui.input.disabled = ui.send.disabled = ui.giftToggle.disabled = true;
  ui.input.placeholder = 'The stream has ended';
  ui.picker.hidden = true;
  document.body.classList.remove('can-reply');
  cancelReply();
  poll.setVoting(false);
}

// ---- sending -------------------------------------------------------------

const seconds = (ms) => Math.max(1, Math.ceil((ms || 0) / 1000));
function duration(s) {
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${s} s`;
}

function refusalText(ev) {
  const max = state.stream?.settings?.max_message_length ?? 500;
  switch (ev.code) {
    case 'slow_mode': return `Slow mode is on: you can send again in ${seconds(ev.retry_after_ms)} s.`;
    case 'rate_limited': return `You are sending messages too fast. Wait ${seconds(ev.retry_after_ms)} s.`;
    case 'timed_out': return `You are timed out in this chat for ${duration(ev.seconds_left || 1)} more.`;
    case 'banned': return 'You are banned from this chat.';
    case 'read_only': return 'Your login may read this chat but not send.';
    case 'stream_ended': return 'The stream has ended; chat is closed.';
    case 'chat_disabled': return 'Chat is turned off right now.';
    case 'subscribers_only': return 'Only subscribers may chat right now.';
    case 'message_too_long': return `That message is too long: at most ${max} characters.`;
    case 'empty_content': return 'Type something first.';
    case 'invalid_content': return 'That message has characters the chat does not take.';
    case 'blocked_term': return 'Your message contains a word that is blocked in this chat.';
    case 'invalid_reply_to': return 'The message you replied to is not in this chat any more.';
    case 'unknown_gift': return 'That gift is not in the catalog any more.';
    case 'invalid_quantity': return 'A gift quantity is a whole number from 1 to 100.';
    case 'shutting_down': return 'The server is restarting; your message will be sent when it is back.';
    case 'internal': return 'The server could not store your message; trying again.';
    default: return ev.message || `Refused (${ev.code})`;
  }
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  const content = ui.input.value.trim();
  if (!content || !state.conn) return;
  say(ui.status, '');
  const payload = { type: 'message', content };
  if (state.replyTo) payload.reply_to = state.replyTo.id;
  state.conn.send(payload);
  ui.input.value = '';
  cancelReply();
  scrollToEnd();
});

// ---- replies -------------------------------------------------------------

function startReply(m) {
  if (ui.input.disabled) return;
  state.replyTo = m;
  ui.replyName.textContent = displayName(m.user);
  ui.replyText.textContent = startOf(gist(m), 40);
  ui.replyBar.dataset.id = m.id;
  ui.replyBar.hidden = false;
  ui.input.focus();
}

function cancelReply() {
  state.replyTo = null;
  ui.replyBar.hidden = true;
  delete ui.replyBar.dataset.id;
}

ui.replyCancel.addEventListener('click', () => { cancelReply(); ui.input.focus(); });
ui.input.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.replyTo) cancelReply(); });

// A click on a quote shows its parent, when the page has it.
ui.list.addEventListener('click', (e) => {
  const quote = e.target.closest('.reply-quote');
  const parent = quote && state.shown.get(quote.dataset.replyTo);
  if (!parent) return;
  parent.li.scrollIntoView({ block: 'center', behavior: 'smooth' });
  parent.li.classList.remove('flash');
  void parent.li.offsetWidth;  // restart the animation
  parent.li.classList.add('flash');
});

// ---- gifts ---------------------------------------------------------------

async function loadGifts() {
  let catalog;
  try { catalog = (await api('GET', '/api/v1/gifts')).gifts; } catch { return; }
  for (const g of catalog) {
    const button = el('button', { class: 'gift-choice', type: 'button', role: 'radio', 'aria-checked': 'false',
      data: { gift: g.gift_id } },
      el('span', { class: 'gift-icon', text: giftIcon(g.gift_id), 'aria-hidden': 'true' }),
      el('span', { class: 'gift-name', text: g.gift_name }),
      el('span', { class: 'stars', text: `⭐ ${g.stars}` }));
    button.addEventListener('click', () => pickGift(g, button));
    ui.giftGrid.append(button);
  }
}

function pickGift(g, button) {
  state.gift = g;
  for (const b of ui.giftGrid.children) b.setAttribute('aria-checked', String(b === button));
  drawGiftButton();
}

function giftQuantity() {
  const n = Number(ui.giftQty.value);
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : null;
}

function drawGiftButton() {
  const n = giftQuantity();
  ui.giftSend.disabled = !state.gift || !n;
  ui.giftSend.textContent = state.gift && n
    ? `Send ${n}× ${state.gift.gift_name} (${starsText(n * state.gift.stars)})` : 'Send gift';
}

ui.giftQty.addEventListener('input', drawGiftButton);
ui.giftToggle.addEventListener('click', () => {
  ui.picker.hidden = !ui.picker.hidden;
  ui.giftToggle.setAttribute('aria-expanded', String(!ui.picker.hidden));
});
ui.giftSend.addEventListener('click', () => {
  const n = giftQuantity();
  if (!state.gift || !n || !state.conn) return;
  say(ui.status, '');
  state.conn.send({ type: 'gift', gift_id: state.gift.gift_id, quantity: n });
  ui.picker.hidden = true;
  ui.giftToggle.setAttribute('aria-expanded', 'false');
  scrollToEnd();
});

// ---- the moderator menu --------------------------------------------------

function openMenu(m, anchor) {
  state.menuFor = m;
  disarmBan();
  ui.menuWho.textContent = m.user?.display_name || m.user?.id || '';
  // One's own message: only pin (acting on oneself makes no sense).
  const own = m.user?.id === state.me?.sub;
  for (const b of ui.menu.querySelectorAll('button')) b.hidden = own && b.dataset.action !== 'pin';
  const pinned = state.pinned?.id === m.id;
  pinButton.dataset.action = pinned ? 'unpin' : 'pin';
  pinButton.textContent = pinned ? '📌 Unpin message' : '📌 Pin message';
  ui.menu.hidden = false;
  const r = anchor.getBoundingClientRect();
  const w = ui.menu.offsetWidth;
  const h = ui.menu.offsetHeight;
  ui.menu.style.left = `${Math.max(8, Math.min(r.right - w, innerWidth - w - 8))}px`;
  ui.menu.style.top = `${r.bottom + h + 8 > innerHeight ? Math.max(8, r.top - h - 4) : r.bottom + 4}px`;
  ui.menu.querySelector('button:not([hidden])').focus();
}

function closeMenu() {
  ui.menu.hidden = true;
  state.menuFor = null;
}

const ACTIONS = {
  pin: (m) => ['POST', '/chat/pin', { message_id: m.id }, 'Message pinned.'],
  unpin: () => ['DELETE', '/chat/pin', undefined, 'Message unpinned.'],
  delete: (m) => ['DELETE', `/chat/messages/${encodeURIComponent(m.id)}`, undefined, 'Message deleted.'],
  timeout: (m) => ['POST', '/timeouts', { user_id: m.user.id, duration_seconds: 600 }, `${m.user.display_name} is timed out for 10 minutes.`],
  ban: (m) => ['POST', '/bans', { user_id: m.user.id }, `${m.user.display_name} is banned.`],
};

const banButton = ui.menu.querySelector('[data-action=ban]');
const pinButton = ui.menu.querySelector('[data-action=pin]');
function disarmBan() {
  delete banButton.dataset.armed;
  banButton.textContent = 'Ban';
}

ui.menu.addEventListener('click', async (e) => {
  const action = e.target.closest('button')?.dataset.action;
  const m = state.menuFor;
  if (!action || !m) return;
  if (action === 'ban' && !banButton.dataset.armed) {
    // A ban has no end: one more click to be sure.
    banButton.dataset.armed = 'true';
    banButton.textContent = `Click again to ban ${m.user.display_name}`;
    return;
  }
  closeMenu();
  await act(action, m);
});

// Runs a moderator action; says how it went under the box.
async function act(action, m) {
  const [method, path, body, done] = ACTIONS[action](m);
  try {
    await api(method, streamPath(room) + path, { token: state.token, body });
    say(ui.status, done, 'ok');
  } catch (err) {
    say(ui.status, err instanceof ApiError && err.status === 403 ? `You may not do that: ${err.message}`
      : err instanceof ApiError && err.code === 'message_not_found' ? 'That message is gone (deleted?).'
        : `That did not work: ${err.message}`, 'error');
  }
}

ui.pinRemove.addEventListener('click', () => act('unpin', state.pinned));
document.addEventListener('click', (e) => {
  if (!ui.menu.hidden && !ui.menu.contains(e.target) && !e.target.closest('.mod-open')) closeMenu();
});
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeMenu(); });

// ---- blocked terms (broadcaster and moderators) --------------------------

const termText = (t) => `“${t}”`;

function termItem(t) {
  const by = typeof t.created_by === 'object' ? displayName(t.created_by) : t.created_by;
  return el('li', { data: { id: t.id } },
    el('span', { class: 'term', text: t.term }),
    by ? el('span', { class: 'hint', text: `added by ${by}` }) : null,
    el('button', { class: 'icon term-remove', type: 'button', text: '✕', title: 'Remove', 'aria-label': `Remove ${termText(t.term)}`,
      onclick: () => removeTerm(t) }));
}

function drawTermsEmpty() {
  const empty = ui.termsList.querySelector('.terms-empty');
  const count = ui.termsList.querySelectorAll('li[data-id]').length;
  if (!count && !empty) ui.termsList.append(el('li', { class: 'terms-empty hint', text: 'No blocked terms yet.' }));
  if (count && empty) empty.remove();
}

function termsError(err, term) {
  if (!(err instanceof ApiError)) return `That did not work: ${err.message}`;
  switch (err.code) {
    case 'blocked_term_exists': return `${termText(term)} is already blocked.`;
    case 'invalid_field': return 'A blocked term is 1 to 100 characters.';
    case 'blocked_term_not_found': return 'That term was already removed.';
    default:
      if (err.status === 403) return 'Only the broadcaster and moderators can see and change blocked terms.';
      if (err.status === 401) return 'Your login has expired; log in again.';
      return `That did not work: ${err.message}`;
  }
}

async function openTerms() {
  say(ui.termsStatus, '');
  clear(ui.termsList);
  ui.termsList.append(el('li', { class: 'terms-empty hint', text: 'Loading…' }));
  if (!ui.terms.open) ui.terms.showModal();
  ui.termsInput.focus();
  try {
    const res = await api('GET', `${streamPath(room)}/chat/blocked-terms`, { token: state.token });
    clear(ui.termsList);
    for (const t of res?.data || []) ui.termsList.append(termItem(t));
  } catch (err) {
    clear(ui.termsList);
    say(ui.termsStatus, termsError(err), 'error');
  }
  drawTermsEmpty();
}

async function removeTerm(t) {
  try {
    await api('DELETE', `${streamPath(room)}/chat/blocked-terms/${encodeURIComponent(t.id)}`, { token: state.token });
    say(ui.termsStatus, `${termText(t.term)} is no longer blocked.`, 'ok');
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'blocked_term_not_found')) return say(ui.termsStatus, termsError(err, t.term), 'error');
    say(ui.termsStatus, termsError(err, t.term), 'info');
  }
  ui.termsList.querySelector(`li[data-id="${CSS.escape(t.id)}"]`)?.remove();
  drawTermsEmpty();
}

ui.termsForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const term = ui.termsInput.value.trim();
  if (!term) return say(ui.termsStatus, 'Type a word or phrase to block.', 'error');
  ui.termsAdd.disabled = true;
  try {
    const res = await api('POST', `${streamPath(room)}/chat/blocked-terms`, { token: state.token, body: { term } });
    ui.termsList.append(termItem(res.data));
    drawTermsEmpty();
    ui.termsInput.value = '';
    say(ui.termsStatus, `${termText(res.data.term)} is blocked.`, 'ok');
  } catch (err) {
    say(ui.termsStatus, termsError(err, term), 'error');
  } finally {
    ui.termsAdd.disabled = false;
    ui.termsInput.focus();
  }
});
ui.termsOpen.addEventListener('click', openTerms);
ui.termsClose.addEventListener('click', () => ui.terms.close());

// ---- polls ---------------------------------------------------------------

const poll = new PollCard(ui.poll, {
  room,
  onVote: vote,
  onEnd: endPoll,
  onDismiss: () => poll.dismiss(),
});

// Whoever may send may vote; the server still judges each vote.
const mayVote = () => !!state.token && !state.me?.read_only && !state.ended;

function showPoll(p) {
  const fresh = poll.poll?.id !== p.id;
  if (!poll.show(p) || !fresh) return;
  poll.setMine(state.me ? rememberedVote(state.me.sub, p.id) : null);
  poll.setVoting(mayVote());
}

function vote(p, option) {
  if (!state.conn?.vote(p.id, option)) {
    poll.say('Not connected right now; try again in a moment.', 'error');
    return;
  }
  poll.say('');
  poll.setBusy(true);
}

function voted({ poll_id: id, option }) {
  if (state.me) rememberVote(state.me.sub, id, option);
  if (poll.poll?.id !== id) return;
  poll.setMine(option);
  poll.say('');
}

const VOTE_REFUSALS = {
  already_voted: 'You have already voted in this poll.',
  poll_closed: 'This poll has closed; votes are no longer counted.',
  poll_not_found: 'This poll does not exist any more.',
  invalid_option: 'That option is not in this poll.',
};

function voteRefused(ev) {
  poll.setBusy(false);
  if (ev.code === 'already_voted' && poll.poll) {
    if (state.me) rememberVote(state.me.sub, poll.poll.id, -1);
    poll.setMine(state.me ? rememberedVote(state.me.sub, poll.poll.id) : -1);
  }
  poll.say(VOTE_REFUSALS[ev.code] || refusalText(ev), 'error');
  if (poll.status) poll.status.dataset.code = ev.code;
  if (ev.code === 'poll_closed' || ev.code === 'poll_not_found') poll.refresh();
}

async function endPoll(p) {
  try {
    const res = await api('POST', `${streamPath(room)}/polls/${encodeURIComponent(p.id)}/close`, { token: state.token });
    poll.show(res.data);
  } catch (err) {
    poll.say(pollError(err), err.code === 'poll_closed' ? 'info' : 'error');
    if (err.code === 'poll_closed') poll.refresh();
  }
}

function pollError(err) {
  if (!(err instanceof ApiError)) return `That did not work: ${err.message}`;
  switch (err.code) {
    case 'poll_open': return 'A poll is already open in this chat. End it before starting another.';
    case 'poll_closed': return 'This poll has already closed.';
    case 'poll_not_found': return 'This poll does not exist any more.';
    case 'invalid_field': return `That poll cannot be made: ${err.message}`;
    default:
      if (err.status === 403) return 'Only the broadcaster and moderators can start or end a poll.';
      if (err.status === 401) return 'Your login has expired; log in again.';
      return `That did not work: ${err.message}`;
  }
}

// The form (broadcaster and moderators): a question, 2 to 5 options, a duration.
const MIN_CHOICES = 2;
const MAX_CHOICES = 5;

function choiceInputs() {
  return [...ui.pollChoices.querySelectorAll('input')];
}

function drawChoices() {
  const items = [...ui.pollChoices.children];
  items.forEach((li, i) => {
    const input = li.querySelector('input');
    input.id = `poll-choice-${i + 1}`;
    input.setAttribute('aria-label', `Option ${i + 1}`);
    input.placeholder = `Option ${i + 1}`;
    const remove = li.querySelector('button');
    remove.disabled = items.length <= MIN_CHOICES;
    remove.setAttribute('aria-label', `Remove option ${i + 1}`);
  });
  ui.pollAddChoice.disabled = items.length >= MAX_CHOICES;
}

function addChoice(value = '') {
  if (ui.pollChoices.children.length >= MAX_CHOICES) return null;
  const input = el('input', { type: 'text', maxlength: '100', enterkeyhint: 'next' });
  input.value = value;
  const li = el('li', {}, input,
    el('button', { class: 'icon poll-choice-remove', type: 'button', text: '✕', title: 'Remove this option',
      onclick: () => {
        if (ui.pollChoices.children.length <= MIN_CHOICES) return;
        li.remove();
        drawChoices();
        choiceInputs().at(-1)?.focus();
      } }));
  ui.pollChoices.append(li);
  drawChoices();
  return input;
}

function resetPollForm() {
  ui.pollForm.reset();
  clear(ui.pollChoices);
  for (let i = 0; i < MIN_CHOICES; i++) addChoice();
  say(ui.pollStatus, '');
}

function openPollForm() {
  if (!ui.pollChoices.children.length) resetPollForm();
  say(ui.pollStatus, poll.open ? 'A poll is open: end it before starting another.' : '', 'info');
  if (!ui.pollDialog.open) ui.pollDialog.showModal();
  ui.pollQuestion.focus();
}

// What is wrong with the form, in words, or null.
function pollFormProblem(question, options) {
  if (!question) return 'Write a question.';
  if ([...question].length > 200) return 'A question is at most 200 characters.';
  if (options.some((o) => !o)) return 'Fill in every option, or remove the empty ones.';
  if (options.length < MIN_CHOICES) return 'A poll needs at least 2 options.';
  if (options.some((o) => [...o].length > 100)) return 'An option is at most 100 characters.';
  if (new Set(options.map((o) => o.toLowerCase())).size !== options.length) return 'Two options say the same thing.';
  return null;
}

ui.pollForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const question = ui.pollQuestion.value.trim();
  const options = choiceInputs().map((i) => i.value.trim());
  const problem = pollFormProblem(question, options);
  if (problem) return say(ui.pollStatus, problem, 'error');
  ui.pollCreate.disabled = true;
  say(ui.pollStatus, '');
  try {
    const res = await api('POST', `${streamPath(room)}/polls`, {
      token: state.token, body: { question, options, duration_seconds: Number(ui.pollDuration.value) },
    });
    showPoll(res.data);
    ui.pollDialog.close();
    resetPollForm();
  } catch (err) {
    say(ui.pollStatus, pollError(err), 'error');
    ui.pollStatus.dataset.code = err.code || '';
  } finally {
    ui.pollCreate.disabled = false;
  }
  return undefined;
});
// Enter in an option moves on to the next one (or adds one) instead of sending.
ui.pollChoices.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.isComposing) return;
  const inputs = choiceInputs();
  const at = inputs.indexOf(e.target);
  if (at < 0 || (at === inputs.length - 1 && inputs.length >= MAX_CHOICES)) return;
  e.preventDefault();
  (inputs[at + 1] || addChoice())?.focus();
});
ui.pollQuestion.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.isComposing) {
    e.preventDefault();
    choiceInputs()[0]?.focus();
  }
});
// A mistake said is taken back as soon as the form is edited.
ui.pollForm.addEventListener('input', () => { if (ui.pollStatus.dataset.tone === 'error') say(ui.pollStatus, ''); });
ui.pollAddChoice.addEventListener('click', () => addChoice()?.focus());
ui.pollOpen.addEventListener('click', openPollForm);
ui.pollClose.addEventListener('click', () => ui.pollDialog.close());

// ---- the page ------------------------------------------------------------

async function loadStream() {
  try {
    state.stream = await api('GET', streamPath(room));
  } catch (err) {
    ui.title.textContent = err.code === 'stream_not_found' ? 'No such stream' : 'The stream cannot be loaded';
    return false;
  }
  const s = state.stream;
  document.title = `${s.title} · Sorak`;
  ui.title.textContent = s.title;
  const m = s.member;
  ui.member.textContent = [s.room_name !== s.title ? s.room_name : '', m && m.name ? `${m.name}${m.team ? ` (${m.team})` : ''}` : ''].filter(Boolean).join(' · ');
  ui.input.maxLength = s.settings?.max_message_length ?? 500;
  ui.livePill.hidden = false;
  if (s.status === 'ended') streamEnded();
  showVideo(s);
  return true;
}

// ---- the video -------------------------------------------------------------

// The stream's video beside the chat, read once on load. Without a
// playback_url there is no video area: the chat takes the page's width.
function showVideo(s) {
  const url = playbackUrl(s);
  document.body.classList.toggle('has-video', !!url);
  ui.videoBox.hidden = !url;
  if (!url) return;
  playHls(ui.video, url, {
    onError: (text) => {
      ui.videoBox.dataset.state = 'error';
      say(ui.videoError, text, 'error');
    },
  });
}

ui.list.addEventListener('scroll', () => { if (nearBottom()) ui.jump.hidden = true; });
ui.jump.addEventListener('click', scrollToEnd);
$('#stats-link').href = `/s/${encodeURIComponent(room)}/stats`;
$('#overlay-link').href = `/overlay/${encodeURIComponent(room)}`;
ui.replayLink.href = `/s/${encodeURIComponent(room)}/replay`;
mountAccount($('#account'));

// A token handed over in the URL (#token=…) is kept, then taken off the URL.
if (urlToken()) {
  storeToken(urlToken());
  history.replaceState(null, '', location.pathname);
}
let lastToken = storedToken();
window.addEventListener('sorak:token', () => {
  if (storedToken() === lastToken) return;
  lastToken = storedToken();
  connect();
});

if (await loadStream()) {
  loadGifts();
  connect();
} else {
  setConn('unknown_stream');
}
