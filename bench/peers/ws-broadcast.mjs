// The Node `ws` peer of `make bench`: every text frame a client sends is relayed to every other
// connected client, as-is. Nothing is stored, parsed or checked. Loopback only.
// Usage: node bench/peers/ws-broadcast.mjs PORT
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node ws-broadcast.mjs PORT');
  process.exit(2);
}

// perMessageDeflate off: the benchmark compares raw fan-out, and the issue rules compression out.
const wss = new WebSocketServer({ host: '127.0.0.1', port, backlog: 4096, perMessageDeflate: false,
                                  clientTracking: true, maxPayload: 16 * 1024 });

wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    for (const peer of wss.clients) {
      if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: false });
    }
  });
});
wss.on('listening', () => console.log(`ws-broadcast listening on ws://127.0.0.1:${port}`));
wss.on('error', (err) => { console.error(`ws-broadcast: ${err.message}`); process.exit(1); });
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
