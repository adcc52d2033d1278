// api.js: the REST calls the pages make, the token they hold, and the ids in
// the page's URL. A token comes from the dev "pick a name" login, from one a
// user pasted, or (for the overlay and stats pages, e.g. in OBS) from
// ?token= / #token= in the URL.

const TOKEN_KEY = 'sorak.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// fetch → parsed JSON (null for 204); a non-2xx answer throws ApiError with
// the server's code and sentence.
export async function api(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached');
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    throw new ApiError(res.status, json?.code || 'http_' + res.status, json?.error || `HTTP ${res.status}`);
  }
  return json;
}

// The claims of a JWT (not verified: the server does that), or null.
export function decodeToken(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims.sub === 'string' ? claims : null;
  } catch {
    return null;
  }
}

function usable(token) {
  const claims = token && decodeToken(token);
  if (!claims) return null;
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return null;
  return token;
}

// The token named in the URL (?token= or #token=), if any.
export function urlToken() {
  const hash = new URLSearchParams(location.hash.slice(1));
  return usable(hash.get('token') || new URLSearchParams(location.search).get('token'));
}

export function storedToken() {
  try { return usable(localStorage.getItem(TOKEN_KEY)); } catch { return null; }
}

export function storeToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch { /* private mode: the token lives as long as the page */ }
  window.dispatchEvent(new CustomEvent('sorak:token', { detail: token }));
}

// The current token: the URL's first, then the stored one.
export const currentToken = () => urlToken() || storedToken();

// "100001" from /s/100001, /s/100001/stats or /overlay/100001.
export function roomFromPath() {
  const parts = location.pathname.split('/').filter(Boolean);
  return decodeURIComponent(parts[1] || '');
}

export const streamPath = (room) => `/api/v1/streams/${encodeURIComponent(room)}`;

export function chatSocketUrl(room, token, since) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ token });
  if (since) q.set('since', since);
  return `${scheme}://${location.host}${streamPath(room)}/chat/ws?${q}`;
}

// Dev mode login: a token minted by the server for the name picked.
export function devLogin(username, displayName) {
  return api('POST', '/api/v1/dev/token', { body: { username, display_name: displayName } });
}
