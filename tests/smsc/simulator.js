#!/usr/bin/env node
// A small SMPP 3.4 SMSC the Altavoz SMS tests run against, built on the npm package `smpp`.
//
//   node tests/smsc/simulator.js --port P --control-port C [--system-id ID] [--password PW]
//
// Both servers bind 127.0.0.1 only. Port 0 lets the OS choose; the one line printed on stdout
// once both are listening says which ports were taken:
//   ready {"smpp_port": 40123, "control_port": 40124}
//
// The control channel is a tiny JSON-over-HTTP server (see control.js for its routes): tests
// read every PDU the SMSC received or sent, change its behaviour (delays, throttling, errors,
// receipts), inject mobile-originated messages and cut connections.
//
// Written for Node 18 (Debian 12's nodejs) and later: CommonJS, no newer language features.
'use strict';

const smpp = require('smpp');
const { startControl } = require('./control');
const { SmscState } = require('./state');

// The `smpp` package decodes short_message and message_payload into text through its
// `message` filter. The tests check the exact octets the gateway sent, so decoding is turned
// off: both fields stay the raw Buffers read from the wire.
smpp.filters.message.decode = function keepRawOctets(value) {
  return value;
};
// Likewise the time fields (schedule_delivery_time, validity_period) stay the text on the wire,
// e.g. "000002000000000R", instead of a Date computed from the local clock.
smpp.filters.time.decode = function keepWireText(value) {
  return value;
};

function parseArgs(argv) {
  const options = { port: 0, controlPort: 0, systemId: 'altavoz', password: 'secret' };
  const names = {
    '--port': 'port',
    '--control-port': 'controlPort',
    '--system-id': 'systemId',
    '--password': 'password',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) {
      throw new Error('usage: simulator.js --port P --control-port C [--system-id ID] [--password PW]');
    }
    options[key] = argv[i + 1];
  }
  options.port = Number(options.port);
  options.controlPort = Number(options.controlPort);
  return options;
}

function listen(server, port) {
  return new Promise(function (resolve, reject) {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', function () {
      server.removeListener('error', reject);
      resolve(server.address().port);
    });
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const state = new SmscState({ systemId: options.systemId, password: options.password });
  const smsc = smpp.createServer(function (session) {
    state.attach(session);
  });
  const smppPort = await listen(smsc, options.port);
  const control = startControl(state);
  const controlPort = await listen(control, options.controlPort);
  process.stdout.write('ready ' + JSON.stringify({ smpp_port: smppPort, control_port: controlPort }) + '\n');

  function shutdown() {
    state.destroyAll();
    smsc.close();
    control.close();
    process.exit(0);
  }
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch(function (error) {
  process.stderr.write('simulator failed: ' + (error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
