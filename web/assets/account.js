// account.js: who is logged in, shown in the page header, and the login
// dialog: in dev mode "pick a name" (POST /api/v1/dev/token), or paste a
// token a platform issued.
import { ApiError, decodeToken, devLogin, storeToken, storedToken } from './api.js';
import { $, clear, el, say } from './dom.js';

// "Alice Chen" → "alice-chen"; names without Latin letters get a random id.
export function usernameFor(name) {
  const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24);
  if (slug) return slug;
  return 'guest-' + Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function dialog() {
  let d = $('#login-dialog');
  if (d) return d;
  const status = el('p', { class: 'status', role: 'alert', hidden: true });
  const nameInput = el('input', { id: 'login-name', name: 'name', maxlength: '32', required: true,
    autocomplete: 'nickname', placeholder: 'e.g. Alice' });
  const tokenInput = el('textarea', { id: 'login-token', name: 'token', rows: '3', placeholder: 'eyJ…' });
  const close = () => d.close();
  const byName = el('form', { class: 'login-name', method: 'dialog' },
    el('label', { for: 'login-name', text: 'Pick a name' }),
    el('div', { class: 'row' }, nameInput, el('button', { class: 'primary', type: 'submit', text: 'Enter chat' })),
    el('p', { class: 'hint', text: 'Dev mode: the server gives this name a token. No password.' }));
  const byToken = el('form', { class: 'login-token', method: 'dialog' },
    el('label', { for: 'login-token', text: 'Or paste a token' }),
    tokenInput,
    el('div', { class: 'row end' }, el('button', { type: 'submit', text: 'Use token' })));
  d = el('dialog', { id: 'login-dialog', 'aria-labelledby': 'login-title' },
    el('div', { class: 'dialog-head' },
      el('h2', { id: 'login-title', text: 'Join the chat' }),
      el('button', { class: 'icon', type: 'button', 'aria-label': 'Close', text: '✕', onclick: close })),
    byName, byToken, status);
  byName.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    try {
      const res = await devLogin(usernameFor(name), name);
      storeToken(res.token);
      d.close();
    } catch (err) {
      const text = err instanceof ApiError && err.status === 404
        ? 'This server is not in dev mode, so it does not hand out names. Paste a token instead.'
        : `Could not log in: ${err.message}`;
      say(status, text, 'error');
    }
  });
  byToken.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = tokenInput.value.trim();
    if (!decodeToken(token)) return say(status, 'That does not look like a token (three parts, eyJ…).', 'error');
    storeToken(token);
    d.close();
  });
  document.body.append(d);
  return d;
}

export function openLogin() {
  const d = dialog();
  say($('.status', d), '');
  if (!d.open) d.showModal();
  $('#login-name', d).focus();
}

// Draws the account corner of the header into `slot` and keeps it current.
export function mountAccount(slot) {
  const draw = () => {
    clear(slot);
    const token = storedToken();
    const claims = token && decodeToken(token);
    if (!claims) {
      slot.append(el('button', { class: 'primary', type: 'button', id: 'login-button', text: 'Log in', onclick: openLogin }));
      return;
    }
    slot.append(
      el('span', { class: 'me', title: `@${claims.username || claims.sub}`, text: claims.display_name || claims.username || claims.sub }),
      el('button', { type: 'button', id: 'logout-button', text: 'Log out', onclick: () => storeToken(null) }));
  };
  window.addEventListener('sorak:token', draw);
  window.addEventListener('storage', draw);
  draw();
}
