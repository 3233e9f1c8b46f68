// A UDP peer written with Node's own `dgram`, driven by dgram's tests.
//   node udp_peer.js echo    udp4|udp6                 bind loopback:0, print "port N", echo one datagram,
//                                                      print "got HEX from ADDR PORT", exit
//   node udp_peer.js send    udp4|udp6 PORT HEX        send one datagram to loopback:PORT, print "sent from N"
//   node udp_peer.js request udp4|udp6 PORT HEX        send, wait for one reply (5 s), print "reply HEX from PORT"
'use strict';
const dgram = require('node:dgram');

const [mode, type, portArg, hex] = process.argv.slice(2);
const host = type === 'udp6' ? '::1' : '127.0.0.1';
const sock = dgram.createSocket(type);
const fail = (msg) => { console.error(msg); process.exit(2); };
const timer = setTimeout(() => fail('peer timed out'), 10000);

sock.on('error', (e) => fail(`peer error: ${e.message}`));

if (mode === 'echo') {
  sock.on('message', (msg, rinfo) => {
    console.log(`got ${msg.toString('hex')} from ${rinfo.address} ${rinfo.port}`);
    sock.send(msg, rinfo.port, rinfo.address, (err) => {
      if (err) fail(err.message);
      clearTimeout(timer);
      sock.close();
    });
  });
  sock.bind(0, host, () => console.log(`port ${sock.address().port}`));
} else if (mode === 'send' || mode === 'request') {
  sock.bind(0, host, () => {
    const port = sock.address().port;
    sock.send(Buffer.from(hex, 'hex'), Number(portArg), host, (err) => {
      if (err) fail(err.message);
      console.log(`sent from ${port}`);
      if (mode === 'send') { clearTimeout(timer); sock.close(); }
    });
  });
  if (mode === 'request') {
    sock.on('message', (msg, rinfo) => {
      console.log(`reply ${msg.toString('hex')} from ${rinfo.port}`);
      clearTimeout(timer);
      sock.close();
    });
  }
} else {
  fail(`unknown mode ${mode}`);
}
