// Message ids and SMPP 3.4 Appendix B delivery receipts, as real SMSCs vary them.
//
// Real SMSCs disagree on how they spell a message id: upper- or lower-case hex, decimal,
// zero-padded decimal, and some use one spelling in submit_sm_resp and another in the receipt
// text. The simulator reproduces each variant so the gateway's normalisation is exercised.
'use strict';

// Spellings of the same numeric message id.
const ID_FORMATS = {
  hex: function (n) { return n.toString(16).toUpperCase(); },
  hex_lower: function (n) { return n.toString(16); },
  decimal: function (n) { return String(n); },
  padded: function (n) { return ('0000000000' + String(n)).slice(-10); },
};

// The final states a receipt may report, with the message_state TLV value and the `err`
// field of the text that goes with each (SMPP 3.4, section 5.2.28 and Appendix B).
const STATS = {
  DELIVRD: { messageState: 2, err: '000', delivered: '001' },
  EXPIRED: { messageState: 3, err: '003', delivered: '000' },
  UNDELIV: { messageState: 5, err: '001', delivered: '000' },
  REJECTD: { messageState: 8, err: '002', delivered: '000' },
};

function formatId(n, format) {
  const spell = ID_FORMATS[format];
  if (!spell) {
    throw new Error('unknown message id format: ' + format);
  }
  return spell(n);
}

function checkStat(stat) {
  if (!STATS[stat]) {
    throw new Error('unknown receipt stat: ' + stat + ' (one of ' + Object.keys(STATS).join(', ') + ')');
  }
  return stat;
}

// YYMMDDhhmm in UTC, the date format of the receipt text.
function receiptDate(date) {
  const two = function (n) { return ('0' + n).slice(-2); };
  return two(date.getUTCFullYear() % 100) + two(date.getUTCMonth() + 1) + two(date.getUTCDate()) +
    two(date.getUTCHours()) + two(date.getUTCMinutes());
}

// The first 20 characters of the original message, as SMSCs quote it. Only 7-bit/Latin-1
// codings are quoted byte for byte; anything else (UCS-2, binary) is left out, as most do.
function quotedText(submit) {
  const coding = submit.data_coding & 0x0f;
  if (coding !== 0 && coding !== 1 && coding !== 3) {
    return '';
  }
  const raw = Buffer.isBuffer(submit.short_message) ? submit.short_message : Buffer.alloc(0);
  let text = '';
  for (const byte of raw.slice(0, 20)) {
    text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
  }
  return text;
}

// The Appendix B receipt text: id:... sub:001 dlvrd:... submit date:... done date:... stat:...
function receiptText({ textId, stat, submittedAt, doneAt, submit }) {
  const info = STATS[checkStat(stat)];
  return 'id:' + textId + ' sub:001 dlvrd:' + info.delivered +
    ' submit date:' + receiptDate(submittedAt) + ' done date:' + receiptDate(doneAt) +
    ' stat:' + stat + ' err:' + info.err + ' text:' + quotedText(submit);
}

module.exports = { ID_FORMATS, STATS, formatId, checkStat, receiptText };
