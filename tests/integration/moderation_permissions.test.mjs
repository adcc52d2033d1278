// moderation_permissions.test.mjs: the whole permission matrix of CONTRACT §6.
//
// Every moderation endpoint is called by the broadcaster, a moderator, a VIP,
// a subscriber, a plain viewer, a moderator of ANOTHER stream and the admin
// key; each gets exactly the status the contract implies (2xx when allowed,
// 403 when not). Then the rules about whom (moderators cannot act on the
// broadcaster or other moderators), 404 for unknown streams, messages and
// entries, and 401 without credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createStream, joinChat, sendAcked, api, freshUser, unknownId, waitFor } from './lib/server.mjs';

let server;
let stream;
let other;
const owner = { sub: 'perm-owner', username: 'owner', display_name: 'Owner' };
const otherOwner = { sub: 'perm-owner2', username: 'owner2' };
const users = {
  broadcaster: owner,
  moderator: { sub: 'perm-mod', username: 'mod', display_name: 'Mod' },
  vip: { sub: 'perm-vip', username: 'vip' },
  subscriber: { sub: 'perm-sub', username: 'sub', badges: ['subscriber'] },
  viewer: { sub: 'perm-viewer', username: 'viewer' },
  otherMod: { sub: 'perm-other-mod', username: 'othermod' },
};
const ROLES = ['broadcaster', 'moderator', 'vip', 'subscriber', 'viewer', 'otherMod', 'admin'];
const STAFF = new Set(['broadcaster', 'moderator', 'admin']);
const OWNERS = new Set(['broadcaster', 'admin']);
const EVERYONE = new Set(ROLES);
let targetChat;  // a plain viewer who writes the messages to delete

function cred(role) {
  if (role === 'admin') return { headers: server.admin };
  return { token: server.token(users[role]) };
}

async function call(role, method, path, body) {
  return api(server, method, path, { ...cred(role), body });
}

const S = (rest) => `/api/v1/streams/${stream.id}${rest}`;

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  stream = await createStream(server, owner, { title: 'permissions' });
  other = await createStream(server, otherOwner, { title: 'the other stream' });
  const grant = async (s, who, badge, as) => {
    const r = await api(server, 'POST', `/api/v1/streams/${s.id}/moderators`,
      { token: server.token(as), body: { user_id: who.sub, badge_type: badge } });
    assert.equal(r.status, 201, r.text);
  };
  await grant(stream, users.moderator, 'moderator', owner);
  await grant(stream, users.vip, 'vip', owner);
  await grant(other, users.otherMod, 'moderator', otherOwner);
  targetChat = await joinChat(server, stream.id, server.token(freshUser('target')));
});

after(async () => { await targetChat?.close(); });

// A message by a fresh plain viewer (through the shared target connection's user).
async function targetMessage(text = 'delete me') {
  const ack = await sendAcked(targetChat, text);
  return ack.data.id;
}

// Each action: what to set up before each caller's attempt (returns the
// request), who may, and the status on success.
const actions = [
  {
    name: 'POST moderators (grant a badge)', allowed: OWNERS, ok: 201,
    async prepare() { return ['POST', S('/moderators'), { user_id: freshUser('g').sub, badge_type: 'vip' }]; },
  },
  {
    name: 'DELETE moderators/{user_id}', allowed: OWNERS, ok: 204,
    async prepare() {
      const u = freshUser('r').sub;
      const r = await call('admin', 'POST', S('/moderators'), { user_id: u, badge_type: 'moderator' });
      assert.equal(r.status, 201);
      return ['DELETE', S(`/moderators/${u}`)];
    },
  },
  { name: 'GET moderators', allowed: EVERYONE, ok: 200, async prepare() { return ['GET', S('/moderators')]; } },
  {
    name: 'GET users/{user_id}/badges', allowed: EVERYONE, ok: 200,
    async prepare() { return ['GET', S(`/users/${users.moderator.sub}/badges`)]; },
  },
  {
    name: 'DELETE chat/messages/{id}', allowed: STAFF, ok: 204,
    async prepare() { return ['DELETE', S(`/chat/messages/${await targetMessage()}`)]; },
  },
  {
    name: 'POST timeouts', allowed: STAFF, ok: 201,
    async prepare() { return ['POST', S('/timeouts'), { user_id: freshUser('t').sub, duration_seconds: 60, reason: 'matrix' }]; },
  },
  {
    name: 'DELETE timeouts/{user_id}', allowed: STAFF, ok: 204,
    async prepare() {
      const u = freshUser('ut').sub;
      assert.equal((await call('admin', 'POST', S('/timeouts'), { user_id: u, duration_seconds: 60 })).status, 201);
      return ['DELETE', S(`/timeouts/${u}`)];
    },
  },
  { name: 'GET timeouts', allowed: STAFF, ok: 200, async prepare() { return ['GET', S('/timeouts')]; } },
  {
    name: 'POST bans', allowed: STAFF, ok: 201,
    async prepare() { return ['POST', S('/bans'), { user_id: freshUser('b').sub, reason: 'matrix' }]; },
  },
  {
    name: 'DELETE bans/{user_id}', allowed: STAFF, ok: 204,
    async prepare() {
      const u = freshUser('ub').sub;
      assert.equal((await call('admin', 'POST', S('/bans'), { user_id: u })).status, 201);
      return ['DELETE', S(`/bans/${u}`)];
    },
  },
  { name: 'GET bans', allowed: STAFF, ok: 200, async prepare() { return ['GET', S('/bans')]; } },
  { name: 'GET chat/settings', allowed: STAFF, ok: 200, async prepare() { return ['GET', S('/chat/settings')]; } },
  {
    name: 'PATCH chat/settings', allowed: STAFF, ok: 200,
    async prepare() { return ['PATCH', S('/chat/settings'), { max_message_length: 500 }]; },
  },
  { name: 'GET moderation/log', allowed: STAFF, ok: 200, async prepare() { return ['GET', S('/moderation/log')]; } },
];

for (const action of actions) {
  test(`permission matrix: ${action.name}`, async () => {
    const got = {};
    const want = {};
    for (const role of ROLES) {
      const [method, path, body] = await action.prepare();
      const r = await call(role, method, path, body);
      got[role] = r.status;
      want[role] = action.allowed.has(role) ? action.ok : 403;
      if (r.status >= 400) assert.equal(typeof r.json?.code, 'string', `${role}: a JSON error (${r.text})`);
      if (r.status === 403) assert.equal(r.json.code, 'forbidden');
    }
    assert.deepEqual(got, want);
  });
}

test('moderators cannot act on the broadcaster or on other moderators; the broadcaster and admin can act on moderators', async () => {
  const mod2 = { sub: 'perm-mod2', username: 'mod2' };
  assert.equal((await call('broadcaster', 'POST', S('/moderators'), { user_id: mod2.sub, badge_type: 'moderator' })).status, 201);
  for (const target of [owner.sub, mod2.sub]) {
    for (const [method, path, body] of [
      ['POST', S('/timeouts'), { user_id: target, duration_seconds: 30 }],
      ['POST', S('/bans'), { user_id: target }],
      ['DELETE', S(`/timeouts/${target}`)],
      ['DELETE', S(`/bans/${target}`)],
    ]) {
      const r = await call('moderator', method, path, body);
      assert.equal(r.status, 403, `moderator ${method} ${path} on ${target}: ${r.text}`);
    }
  }
  // Their messages cannot be deleted by a moderator either.
  const ownerChat = await joinChat(server, stream.id, server.token(owner));
  const mod2Chat = await joinChat(server, stream.id, server.token(mod2));
  const ownMsg = (await sendAcked(ownerChat, 'owner speaks')).data.id;
  const modMsg = (await sendAcked(mod2Chat, 'mod2 speaks')).data.id;
  assert.equal((await call('moderator', 'DELETE', S(`/chat/messages/${ownMsg}`))).status, 403);
  assert.equal((await call('moderator', 'DELETE', S(`/chat/messages/${modMsg}`))).status, 403);
  // Nobody times out or bans the broadcaster, not even the admin.
  assert.equal((await call('admin', 'POST', S('/timeouts'), { user_id: owner.sub, duration_seconds: 30 })).status, 403);
  assert.equal((await call('broadcaster', 'POST', S('/bans'), { user_id: owner.sub })).status, 403);
  // The broadcaster and the admin may act on a moderator and delete anyone's message.
  assert.equal((await call('broadcaster', 'POST', S('/timeouts'), { user_id: mod2.sub, duration_seconds: 30 })).status, 201);
  assert.equal((await call('admin', 'DELETE', S(`/timeouts/${mod2.sub}`))).status, 204);
  assert.equal((await call('broadcaster', 'DELETE', S(`/chat/messages/${modMsg}`))).status, 204);
  assert.equal((await call('admin', 'DELETE', S(`/chat/messages/${ownMsg}`))).status, 204);
  // A moderator may act on a VIP and a subscriber.
  assert.equal((await call('moderator', 'POST', S('/timeouts'), { user_id: users.vip.sub, duration_seconds: 5 })).status, 201);
  assert.equal((await call('moderator', 'DELETE', S(`/timeouts/${users.vip.sub}`))).status, 204);
  await ownerChat.close();
  await mod2Chat.close();
});

test('the moderator of another stream is a moderator there, not here', async () => {
  const O = (rest) => `/api/v1/streams/${other.id}${rest}`;
  const r = await call('otherMod', 'POST', O('/timeouts'), { user_id: freshUser('x').sub, duration_seconds: 10 });
  assert.equal(r.status, 201);
  assert.equal((await call('otherMod', 'GET', O('/moderation/log'))).status, 200);
  assert.equal((await call('otherMod', 'GET', S('/moderation/log'))).status, 403);
});

test('unknown stream → 404 stream_not_found for every action and every caller', async () => {
  const U = (rest) => `/api/v1/streams/${unknownId()}${rest}`;
  for (const role of ROLES) {
    for (const [method, path, body] of [
      ['POST', U('/moderators'), { user_id: 'someone', badge_type: 'moderator' }],
      ['DELETE', U('/moderators/someone')],
      ['GET', U('/moderators')],
      ['GET', U('/users/someone/badges')],
      ['DELETE', U(`/chat/messages/${unknownId()}`)],
      ['POST', U('/timeouts'), { user_id: 'someone', duration_seconds: 10 }],
      ['GET', U('/timeouts')],
      ['DELETE', U('/bans/someone')],
      ['GET', U('/chat/settings')],
      ['PATCH', U('/chat/settings'), { slow_mode_seconds: 3 }],
      ['GET', U('/moderation/log')],
    ]) {
      const r = await call(role, method, path, body);
      assert.equal(r.status, 404, `${role} ${method} ${path}: ${r.text}`);
      assert.equal(r.json.code, 'stream_not_found');
    }
  }
});

test('unknown message or entry → 404 for the roles allowed to ask, 403 for the others', async () => {
  for (const role of ROLES) {
    const cases = [
      ['DELETE', S(`/chat/messages/${unknownId()}`), STAFF, 'message_not_found'],
      ['DELETE', S('/timeouts/never-timed-out'), STAFF, 'timeout_not_found'],
      ['DELETE', S('/bans/never-banned'), STAFF, 'ban_not_found'],
      ['DELETE', S('/moderators/never-granted'), OWNERS, 'badge_not_found'],
    ];
    for (const [method, path, allowed, code] of cases) {
      const r = await call(role, method, path);
      if (allowed.has(role)) {
        assert.equal(r.status, 404, `${role} ${method} ${path}: ${r.text}`);
        assert.equal(r.json.code, code);
      } else {
        assert.equal(r.status, 403, `${role} ${method} ${path}: ${r.text}`);
      }
    }
  }
  // A message of another stream is unknown here; a deleted one is gone.
  const otherChat = await joinChat(server, other.id, server.token(freshUser('o')));
  const foreign = (await sendAcked(otherChat, 'elsewhere')).data.id;
  assert.equal((await call('broadcaster', 'DELETE', S(`/chat/messages/${foreign}`))).status, 404);
  const id = await targetMessage('twice');
  assert.equal((await call('moderator', 'DELETE', S(`/chat/messages/${id}`))).status, 204);
  assert.equal((await call('moderator', 'DELETE', S(`/chat/messages/${id}`))).status, 404);
  await otherChat.close();
});

test('without credentials every moderation endpoint is 401; with a bad token too', async () => {
  for (const [method, path, body] of [
    ['POST', S('/moderators'), { user_id: 'x', badge_type: 'vip' }],
    ['GET', S('/moderators')],
    ['GET', S('/users/x/badges')],
    ['DELETE', S(`/chat/messages/${unknownId()}`)],
    ['POST', S('/bans'), { user_id: 'x' }],
    ['GET', S('/timeouts')],
    ['PATCH', S('/chat/settings'), { slow_mode_seconds: 1 }],
    ['GET', S('/moderation/log')],
  ]) {
    const none = await api(server, method, path, { body });
    assert.equal(none.status, 401, `${method} ${path}`);
    assert.equal(none.json.code, 'unauthorized');
    const bad = await api(server, method, path, { body, token: 'not-a-jwt' });
    assert.equal(bad.status, 401);
  }
});

test('bad input → 400 with a JSON error', async () => {
  const cases = [
    ['POST', S('/moderators'), { user_id: 'x', badge_type: 'admin' }],
    ['POST', S('/moderators'), { badge_type: 'vip' }],
    ['POST', S('/moderators'), { user_id: '', badge_type: 'vip' }],
    ['POST', S('/moderators'), { user_id: 'x'.repeat(65), badge_type: 'vip' }],
    ['POST', S('/timeouts'), { user_id: 'x' }],
    ['POST', S('/timeouts'), { user_id: 'x', duration_seconds: 0 }],
    ['POST', S('/timeouts'), { user_id: 'x', duration_seconds: 1209601 }],
    ['POST', S('/timeouts'), { user_id: 'x', duration_seconds: '60' }],
    ['POST', S('/bans'), { user_id: 'x', purge: 'yes' }],
    ['POST', S('/bans'), { user_id: 7 }],
    ['PATCH', S('/chat/settings'), { slow_mode_seconds: 121 }],
    ['PATCH', S('/chat/settings'), { slow_mode_seconds: -1 }],
    ['PATCH', S('/chat/settings'), { max_message_length: 0 }],
    ['PATCH', S('/chat/settings'), { max_message_length: 2001 }],
    ['PATCH', S('/chat/settings'), { chat_enabled: 'no' }],
    ['PATCH', S('/chat/settings'), 'not json'],
  ];
  for (const [method, path, body] of cases) {
    const r = await call('broadcaster', method, path, body);
    assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
    assert.ok(['invalid_field', 'invalid_json'].includes(r.json.code), r.text);
    assert.ok(r.json.error.length > 0);
  }
  assert.equal((await call('broadcaster', 'GET', S('/moderators?badge_type=owner'))).status, 400);
  assert.equal((await call('broadcaster', 'GET', S('/moderation/log?limit=0'))).status, 400);
  // The boundaries themselves pass.
  const edge = await call('broadcaster', 'POST', S('/timeouts'), { user_id: freshUser('edge').sub, duration_seconds: 1209600 });
  assert.equal(edge.status, 201, edge.text);
  const s = await call('broadcaster', 'PATCH', S('/chat/settings'), { slow_mode_seconds: 0, max_message_length: 2000 });
  assert.equal(s.status, 200, s.text);
  assert.equal((await call('broadcaster', 'PATCH', S('/chat/settings'), { max_message_length: 500 })).status, 200);
});
