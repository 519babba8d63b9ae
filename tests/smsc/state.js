// The SMSC's state and behaviour: sessions, the PDU log, and how each request is answered.
'use strict';

const smpp = require('smpp');
const { ID_FORMATS, STATS, formatId, checkStat, receiptText } = require('./receipt');

const BIND_MODES = {
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
  bind_transceiver: 'transceiver',
};
const CAN_SUBMIT = { transmitter: true, transceiver: true };
const CAN_RECEIVE = { receiver: true, transceiver: true };

// Every setting POST /config accepts, with its default. Unknown keys are refused so a typo in
// a test fails loudly instead of silently testing the default.
function defaultConfig(systemId, password) {
  return {
    system_id: systemId,
    password: password,
    // Delay before each submit_sm_resp; every submit is delayed on its own timer, so pipelined
    // submits are answered about `delay` after each arrived, not one after another.
    response_delay_ms: 0,
    // How submit_sm_resp spells message ids: hex (upper), hex_lower, decimal, padded.
    message_id_format: 'hex',
    // The first message id; the default has letters in hex, to exercise case handling.
    message_id_start: 0x1a2b3c,
    // Answer the first N submits (counted from the last reset) with throttle_status.
    throttle_first_n: 0,
    // Answer every Nth submit (counted from the last reset) with throttle_status: a steady
    // share of rejects, e.g. 20 for 5% (0: none).
    throttle_every_n: 0,
    // Answer submits beyond this many per rolling second with throttle_status (0: no limit).
    throttle_max_per_second: 0,
    // ESME_RTHROTTLED (0x58) by default; ESME_RMSGQFUL (0x14) is the other usual one.
    throttle_status: 0x58,
    // Destination address -> command_status, for permanent errors such as ESME_RINVDSTADR (0x0B).
    destination_errors: {},
    // Send a deliver_sm receipt after each accepted submit that asked for one.
    receipts: false,
    receipt_delay_ms: 0,
    // DELIVRD, UNDELIV, REJECTD or EXPIRED; per destination address in receipt_stat_by_destination.
    receipt_stat: 'DELIVRD',
    receipt_stat_by_destination: {},
    // Carry receipted_message_id and message_state TLVs (many SMSCs only send the text).
    receipt_tlv: true,
    // How the id is spelled inside the receipt text: 'same' as submit_sm_resp, or a format name.
    receipt_text_id_format: 'same',
    // Keep every deliver_sm (receipt or MO) until it is answered ESME_ROK, and send it again
    // on the next bind when its connection closes first or it is refused, as SMSCs store and
    // retry; off, an unanswered deliver_sm is forgotten with its connection.
    redeliver_unanswered: false,
    // Leave enquire_link unanswered, as a half-dead connection (or a hung SMSC) does.
    ignore_enquire_link: false,
    // Answer binds with ESME_RBINDFAIL for this many milliseconds from now (write-only).
    refuse_binds_ms: 0,
  };
}

function describe(pdu, direction, sessionId) {
  const record = {
    at_ms: Date.now(),
    direction: direction,
    session: sessionId,
    command: pdu.command,
    command_status: pdu.command_status,
    sequence_number: pdu.sequence_number,
  };
  for (const key of Object.keys(pdu)) {
    if (key in record || key === 'command_length' || key === 'command_id') {
      continue;
    }
    const value = pdu[key];
    if (Buffer.isBuffer(value)) {
      record[key + '_hex'] = value.toString('hex');
    } else if (value instanceof Date) {
      record[key] = value.toISOString();
    } else if (Array.isArray(value)) {
      record[key] = value.map(function (item) {
        return Buffer.isBuffer(item) ? item.toString('hex') : item;
      });
    } else {
      record[key] = value;
    }
  }
  return record;
}

class SmscState {
  constructor({ systemId, password }) {
    this.credentials = { systemId: systemId, password: password };
    this.sessions = new Map();
    this.nextSessionId = 1;
    this.reset();
  }

  reset() {
    this.config = defaultConfig(this.credentials.systemId, this.credentials.password);
    this.refuseBindsUntil = 0;
    this.pdus = [];
    this.submitsSeen = 0;
    this.acceptedAt = [];
    this.nextMessageId = this.config.message_id_start;
    this.waitingDeliveries = [];
  }

  configure(changes) {
    const defaults = defaultConfig('', '');
    for (const key of Object.keys(changes)) {
      if (!(key in defaults)) {
        throw new Error('unknown setting: ' + key);
      }
    }
    if ('message_id_format' in changes) formatId(1, changes.message_id_format);
    if ('receipt_stat' in changes) checkStat(changes.receipt_stat);
    for (const stat of Object.values(changes.receipt_stat_by_destination || {})) checkStat(stat);
    const textFormat = changes.receipt_text_id_format;
    if (textFormat !== undefined && textFormat !== 'same' && !ID_FORMATS[textFormat]) {
      throw new Error('unknown receipt_text_id_format: ' + textFormat);
    }
    Object.assign(this.config, changes);
    if ('message_id_start' in changes) this.nextMessageId = changes.message_id_start;
    if ('refuse_binds_ms' in changes) this.refuseBindsUntil = Date.now() + changes.refuse_binds_ms;
    return this.config;
  }

  attach(session) {
    const id = this.nextSessionId++;
    const info = {
      id: id, mode: null, system_id: null, connected_at_ms: Date.now(), session: session,
      unanswered: new Map(),
    };
    this.sessions.set(id, info);
    session.on('pdu', (pdu) => {
      this.pdus.push(describe(pdu, 'in', id));
      this.handle(info, pdu);
    });
    // Log what we send at the moment it is written (not on the later write callback), so the
    // log's order is the wire's order: a response is logged before the client can react to it.
    const send = session.send.bind(session);
    session.send = (pdu, responseCallback, sendCallback) => {
      const written = send(pdu, responseCallback, sendCallback);
      if (written) {
        this.pdus.push(describe(pdu, 'out', id));
      }
      return written;
    };
    // Clients vanish abruptly in the reconnection tests; an unhandled 'error' would kill us.
    session.on('error', (error) => process.stderr.write('session ' + id + ': ' + error.message + '\n'));
    session.on('close', () => {
      this.sessions.delete(id);
      if (this.config.redeliver_unanswered) {
        info.unanswered.forEach((fields) => this.waitingDeliveries.push(fields));
      }
      info.unanswered.clear();
    });
  }

  handle(info, pdu) {
    if (pdu.isResponse()) {
      return;
    }
    const handler = REQUEST_HANDLERS[pdu.command];
    if (handler) {
      handler.call(this, info, pdu);
    } else {
      info.session.send(pdu.response({ command_status: smpp.ESME_RINVCMDID }));
    }
  }

  onBind(info, pdu) {
    let status = smpp.ESME_ROK;
    if (info.mode) {
      status = smpp.ESME_RALYBND;
    } else if (Date.now() < this.refuseBindsUntil) {
      status = smpp.ESME_RBINDFAIL;
    } else if (pdu.system_id !== this.config.system_id) {
      status = smpp.ESME_RINVSYSID;
    } else if (pdu.password !== this.config.password) {
      status = smpp.ESME_RINVPASWD;
    }
    if (status !== smpp.ESME_ROK) {
      info.session.send(pdu.response({ command_status: status }));
      return;
    }
    info.mode = BIND_MODES[pdu.command];
    info.system_id = pdu.system_id;
    info.session.send(pdu.response({ system_id: 'altavoz-smsc' }));
    if (CAN_RECEIVE[info.mode]) {
      const waiting = this.waitingDeliveries;
      this.waitingDeliveries = [];
      waiting.forEach((receipt) => this.deliver(receipt));
    }
  }

  onEnquireLink(info, pdu) {
    if (this.config.ignore_enquire_link) {
      return;
    }
    info.session.send(pdu.response());
  }

  onUnbind(info, pdu) {
    info.session.send(pdu.response(), function () {
      info.session.close();
    });
    info.mode = null;
  }

  onSubmit(info, pdu) {
    if (!CAN_SUBMIT[info.mode]) {
      info.session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    const record = this.pdus[this.pdus.length - 1];
    const status = this.submitStatus(pdu);
    const answer = { command_status: status };
    let numericId = null;
    if (status === smpp.ESME_ROK) {
      numericId = this.nextMessageId++;
      answer.message_id = formatId(numericId, this.config.message_id_format);
    }
    record.answer_status = status;
    record.answer_message_id = answer.message_id || null;
    const submittedAt = new Date();
    setTimeout(() => {
      const sent = info.session.send(pdu.response(answer));
      if (sent && numericId !== null) {
        this.scheduleReceipt(pdu, numericId, submittedAt);
      }
    }, this.config.response_delay_ms);
  }

  // Decided when the submit arrives, so throttling sees the client's real sending rate.
  submitStatus(pdu) {
    this.submitsSeen += 1;
    const config = this.config;
    if (this.submitsSeen <= config.throttle_first_n) {
      return config.throttle_status;
    }
    if (config.throttle_every_n > 0 && this.submitsSeen % config.throttle_every_n === 0) {
      return config.throttle_status;
    }
    const now = Date.now();
    this.acceptedAt = this.acceptedAt.filter((at) => now - at < 1000);
    if (config.throttle_max_per_second > 0 && this.acceptedAt.length >= config.throttle_max_per_second) {
      return config.throttle_status;
    }
    const permanent = config.destination_errors[pdu.destination_addr];
    if (permanent) {
      return permanent;
    }
    this.acceptedAt.push(now);
    return smpp.ESME_ROK;
  }

  scheduleReceipt(submit, numericId, submittedAt) {
    const config = this.config;
    const wanted = submit.registered_delivery & 0x03;
    const stat = config.receipt_stat_by_destination[submit.destination_addr] || config.receipt_stat;
    if (!config.receipts || wanted === 0 || wanted === 3 || (wanted === 2 && stat === 'DELIVRD')) {
      return;
    }
    const responseId = formatId(numericId, config.message_id_format);
    const textFormat = config.receipt_text_id_format === 'same' ? config.message_id_format : config.receipt_text_id_format;
    const text = receiptText({
      textId: formatId(numericId, textFormat),
      stat: stat,
      submittedAt: submittedAt,
      doneAt: new Date(),
      submit: submit,
    });
    const fields = {
      source_addr_ton: submit.dest_addr_ton,
      source_addr_npi: submit.dest_addr_npi,
      source_addr: submit.destination_addr,
      dest_addr_ton: submit.source_addr_ton,
      dest_addr_npi: submit.source_addr_npi,
      destination_addr: submit.source_addr,
      esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
      data_coding: 0,
      short_message: Buffer.from(text, 'ascii'),
    };
    if (config.receipt_tlv) {
      fields.receipted_message_id = responseId;
      fields.message_state = STATS[stat].messageState;
    }
    setTimeout(() => this.deliver(fields), config.receipt_delay_ms);
  }

  // Sends a deliver_sm to a bound receiver; receipts wait for one when none is bound, as an
  // SMSC stores them, so receipts are not lost across the gateway's reconnections.
  deliver(fields) {
    const receiver = this.receiver();
    if (!receiver) {
      this.waitingDeliveries.push(fields);
      return null;
    }
    return this.sendDeliver(receiver, fields);
  }

  // Writes one deliver_sm and remembers it until answered (see redeliver_unanswered).
  sendDeliver(receiver, fields) {
    const pdu = new smpp.PDU('deliver_sm', Object.assign({}, fields));
    receiver.session.send(pdu, (response) => {
      receiver.unanswered.delete(pdu.sequence_number);
      if (response.command_status !== smpp.ESME_ROK && this.config.redeliver_unanswered) {
        this.waitingDeliveries.push(fields);
      }
    });
    receiver.unanswered.set(pdu.sequence_number, fields);
    return { session: receiver.id, sequence_number: pdu.sequence_number };
  }

  receiver() {
    for (const info of this.sessions.values()) {
      if (CAN_RECEIVE[info.mode] && info.session.socket.writable) {
        return info;
      }
    }
    return null;
  }

  // A mobile-originated message, fields as JSON: short_message_hex, message_payload_hex, and
  // any deliver_sm field or TLV by its `smpp` package name (sar_msg_ref_num, ...).
  injectMo(body) {
    const receiver = this.receiver();
    if (!receiver) {
      return null;
    }
    const fields = { source_addr_ton: 1, source_addr_npi: 1, dest_addr_ton: 0, dest_addr_npi: 1, esm_class: 0, data_coding: 0 };
    for (const key of Object.keys(body)) {
      if (key === 'short_message_hex') {
        fields.short_message = Buffer.from(body[key], 'hex');
      } else if (key === 'message_payload_hex') {
        fields.message_payload = Buffer.from(body[key], 'hex');
      } else {
        fields[key] = body[key];
      }
    }
    return this.sendDeliver(receiver, fields);
  }

  // Cuts every connection at once, without unbind, as a network fault would.
  destroyAll() {
    const count = this.sessions.size;
    for (const info of this.sessions.values()) {
      info.session.destroy();
    }
    return count;
  }

  describeSessions() {
    return Array.from(this.sessions.values()).map(function (info) {
      return { id: info.id, mode: info.mode, system_id: info.system_id, connected_at_ms: info.connected_at_ms };
    });
  }
}

const REQUEST_HANDLERS = {
  bind_transmitter: SmscState.prototype.onBind,
  bind_receiver: SmscState.prototype.onBind,
  bind_transceiver: SmscState.prototype.onBind,
  enquire_link: SmscState.prototype.onEnquireLink,
  unbind: SmscState.prototype.onUnbind,
  submit_sm: SmscState.prototype.onSubmit,
};

module.exports = { SmscState, defaultConfig };
