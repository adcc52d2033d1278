// Checks that a peer relays a chat line from one client to another, before the benchmark trusts it.
// Usage: node bench/peers/smoke.mjs irc|ws PORT      (exit 0 and "ok" on success, 1 otherwise)
import net from 'node:net';
import { WebSocket } from 'ws';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);
const fail = (why) => { console.error(`smoke ${kind}:${port}: ${why}`); process.exit(1); };
setTimeout(() => fail('no relay within 10 s'), 10_000).unref();

// An IRC client that registers, joins #smoke and calls back on each line it reads.
function ircClient(nick, onLine) {
  const sock = net.connect(port, '127.0.0.1');
  let pending = '';
  sock.setEncoding('utf8');
  sock.on('error', (e) => fail(e.message));
  sock.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\r\n')) >= 0) {
      const line = pending.slice(0, nl); pending = pending.slice(nl + 2);
      if (line.startsWith('PING ')) sock.write(`PONG ${line.slice(5)}\r\n`);
      else if (/^:\S+ 001 /.test(line)) sock.write('JOIN #smoke\r\n');
      onLine(line);
    }
  });
  sock.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
  return sock;
}

function smokeIrc() {
  let joined = 0, sender;
  const onJoin = (line) => { if (/ 366 /.test(line) && ++joined === 2) sender.write('PRIVMSG #smoke :smoke-hello\r\n'); };
  const viewer = ircClient('smokeviewer', (line) => {
    onJoin(line);
    if (line.includes('JOIN') && line.includes('smokesender')) fail('auditorium mode is off: a JOIN was shown');
    if (line.includes('PRIVMSG #smoke :smoke-hello')) { console.log('ok'); viewer.end(); sender.end(); process.exit(0); }
  });
  sender = ircClient('smokesender', onJoin);
}

function smokeWs() {
  const url = `ws://127.0.0.1:${port}/`;
  const viewer = new WebSocket(url), sender = new WebSocket(url);
  let open = 0;
  const onOpen = () => { if (++open === 2) sender.send('smoke-hello'); };
  for (const ws of [viewer, sender]) { ws.on('open', onOpen); ws.on('error', (e) => fail(e.message)); }
  sender.on('message', () => fail('the sender got its own frame back'));
  viewer.on('message', (data) => {
    if (String(data) === 'smoke-hello') { console.log('ok'); viewer.close(); sender.close(); setTimeout(() => process.exit(0), 50); }
  });
}

if (!Number.isInteger(port)) fail('usage: node smoke.mjs irc|ws PORT');
if (kind === 'irc') smokeIrc();
else if (kind === 'ws') smokeWs();
else fail('usage: node smoke.mjs irc|ws PORT');
