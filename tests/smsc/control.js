// The control channel: JSON over HTTP on 127.0.0.1, for the tests to watch and steer the SMSC.
//
//   GET  /pdus[?command=submit_sm][&direction=in|out]  every PDU received ("in") or sent ("out"),
//        oldest first: {pdus: [{at_ms, direction, session, command, command_status,
//        sequence_number, ...fields; octet fields as NAME_hex, e.g. short_message_hex}]}
//   GET  /config                       {config}
//   POST /config {setting: value...}   change settings (see state.js); answers {config}
//   POST /mo {source_addr, destination_addr, data_coding, short_message_hex, esm_class?, ...}
//        send a deliver_sm to a bound receiver: {session, sequence_number}; 409 if none is bound
//   POST /mo_batch {texts: [...], ...fields}  one deliver_sm per ASCII text, written at once
//        (a burst, as an SMSC flushing its store): {sent: [{session, sequence_number}...]}
//   POST /drop {refuse_binds_ms?}      destroy every connection abruptly: {dropped}
//   POST /reset                        forget PDUs and settings (connections stay): {}
//   GET  /sessions                     {sessions: [{id, mode, system_id, connected_at_ms}]}
'use strict';

const http = require('http');

function readJson(request) {
  return new Promise(function (resolve, reject) {
    const chunks = [];
    request.on('data', function (chunk) { chunks.push(chunk); });
    request.on('error', reject);
    request.on('end', function () {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (error) {
        reject(error);
      }
    });
  });
}

function routes(state) {
  return {
    'GET /pdus': function (body, query) {
      const command = query.get('command');
      const direction = query.get('direction');
      return {
        pdus: state.pdus.filter(function (pdu) {
          return (!command || pdu.command === command) && (!direction || pdu.direction === direction);
        }),
      };
    },
    'GET /config': function () { return { config: state.config }; },
    'POST /config': function (body) { return { config: state.configure(body) }; },
    'POST /mo': function (body) {
      const sent = state.injectMo(body);
      if (!sent) {
        return [409, { error: 'no receiver or transceiver is bound' }];
      }
      return sent;
    },
    'POST /mo_batch': function (body) {
      const texts = body.texts || [];
      const fields = Object.assign({}, body);
      delete fields.texts;
      const sent = [];
      for (const text of texts) {
        fields.short_message_hex = Buffer.from(String(text), 'ascii').toString('hex');
        const one = state.injectMo(fields);
        if (!one) {
          return [409, { error: 'no receiver or transceiver is bound', sent: sent }];
        }
        sent.push(one);
      }
      return { sent: sent };
    },
    'POST /drop': function (body) {
      if (body.refuse_binds_ms) {
        state.configure({ refuse_binds_ms: body.refuse_binds_ms });
      }
      return { dropped: state.destroyAll() };
    },
    'POST /reset': function () {
      state.reset();
      return {};
    },
    'GET /sessions': function () { return { sessions: state.describeSessions() }; },
  };
}

function startControl(state) {
  const table = routes(state);
  return http.createServer(function (request, response) {
    const url = new URL(request.url, 'http://127.0.0.1');
    const route = table[request.method + ' ' + url.pathname];
    function answer(status, payload) {
      const text = JSON.stringify(payload);
      response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      response.end(text);
    }
    if (!route) {
      answer(404, { error: 'no route ' + request.method + ' ' + url.pathname });
      return;
    }
    readJson(request)
      .then(function (body) {
        const result = route(body, url.searchParams);
        if (Array.isArray(result)) {
          answer(result[0], result[1]);
        } else {
          answer(200, result);
        }
      })
      .catch(function (error) {
        answer(400, { error: error.message });
      });
  });
}

module.exports = { startControl };
