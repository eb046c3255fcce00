/* sortes-draw/1 in the browser: every check of docs/draw-protocol.md §8 ("Verifying a record"),
   written from that text as a second implementation beside shared/draw/verify.py. It needs only
   the record, the key set and WebCrypto (SHA-256, HMAC-SHA256, Ed25519), which browsers offer in
   secure contexts: HTTPS, localhost/127.0.0.1 and local files. Records of the commercial-cryptography
   profile sortes-draw/1-sm (draw-protocol-sm.md) are checked with SM3, HMAC-SM3 and SM2 from the
   vendored sm-crypto (/static/vendor/sm-crypto: globals sm2 and sm3), loaded before this file.

   SortesVerifier.verifyTexts(recordText, keysText) resolves to
     {ok, failed, checks: [{name, status: "passed"|"failed"|"not_run", detail}], record}
   and throws SortesVerifier.Unusable when a text is not JSON, not a record or not a key set.
   Checks run in the spec's order and stop at the first failure, as `sortes verify` does. */
"use strict";

var SortesVerifier = (function () {
  var PROTOCOL = "sortes-draw/1";
  var SM2_USER_ID = "1234567812345678";  // GM/T 0009's default user ID
  var CHECKS = ["protocol", "codes", "secret_format", "candidates_sorted", "result_fields", "key",
                "candidates_digest", "commitment", "commit_signature", "seed", "result", "signature",
                "drawn_at"];
  var TEXT_MEMBERS = ["draw_id", "purpose", "project_code", "committed_at", "key_id", "candidates_digest",
                      "commitment", "commit_signature", "secret", "witness", "drawn_at", "seed", "signature"];
  var DRAW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  var PURPOSE = /^[a-z][a-z_]{0,31}$/;
  var CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  var TIMESTAMP = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;
  var LOWER_HEX_64 = /^[0-9a-f]{64}$/;
  var WITNESS_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u;
  var SPACE = /^\p{Zs}$/u;
  var encoder = new TextEncoder();
  var has = function (object, name) { return Object.prototype.hasOwnProperty.call(object, name); };

  /* An input that cannot be checked at all; `key` names the message, `params` fill it in. */
  function Unusable(key, params) {
    this.key = key;
    this.params = params || {};
  }

  /* A failed check, thrown inside the checks. */
  function Failed(check, key, params) {
    this.check = check;
    this.key = key;
    this.params = params || {};
  }

  // --- strict JSON: no member twice (a viewer and the verifier could read different values), and
  // integers kept exact as BigInt so that 3 and 3.0 differ as they do in JSON's integer rules ---

  function parseJson(text) {
    var pos = 0;
    var ESCAPES = {"\"": "\"", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"};
    var NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

    function fail() { throw new Unusable("json_syntax", {position: pos + 1}); }
    function skipSpace() {
      while (pos < text.length && " \t\n\r".indexOf(text[pos]) >= 0) pos++;
    }
    function word(literal, value) {
      if (text.substr(pos, literal.length) !== literal) fail();
      pos += literal.length;
      return value;
    }
    function value() {
      skipSpace();
      var c = text[pos];
      if (c === "{") return object();
      if (c === "[") return array();
      if (c === "\"") return string();
      if (c === "t") return word("true", true);
      if (c === "f") return word("false", false);
      if (c === "n") return word("null", null);
      if (c === "N") return word("NaN", NaN);  // Python's json reads these too
      if (c === "I") return word("Infinity", Infinity);
      if (text.substr(pos, 9) === "-Infinity") return word("-Infinity", -Infinity);
      NUMBER.lastIndex = pos;
      var match = NUMBER.exec(text);
      if (!match) fail();
      pos = NUMBER.lastIndex;
      return match[1] || match[2] ? Number(match[0]) : BigInt(match[0]);
    }
    function string() {
      pos++;
      var out = "";
      for (;;) {
        if (pos >= text.length) fail();
        var c = text[pos];
        if (c === "\"") { pos++; return out; }
        if (c.charCodeAt(0) < 0x20) fail();
        if (c !== "\\") { out += c; pos++; continue; }
        var escape = text[pos + 1];
        if (escape === "u") {
          var hex = text.substr(pos + 2, 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else if (escape !== undefined && has(ESCAPES, escape)) {
          out += ESCAPES[escape];
          pos += 2;
        } else {
          fail();
        }
      }
    }
    function array() {
      pos++;
      var items = [];
      skipSpace();
      if (text[pos] === "]") { pos++; return items; }
      for (;;) {
        items.push(value());
        skipSpace();
        if (text[pos] === ",") { pos++; continue; }
        if (text[pos] === "]") { pos++; return items; }
        fail();
      }
    }
    function object() {
      pos++;
      var members = Object.create(null);
      skipSpace();
      if (text[pos] === "}") { pos++; return members; }
      for (;;) {
        skipSpace();
        if (text[pos] !== "\"") fail();
        var name = string();
        skipSpace();
        if (text[pos] !== ":") fail();
        pos++;
        var item = value();
        if (has(members, name)) throw new Unusable("duplicate_member", {name: name});
        members[name] = item;
        skipSpace();
        if (text[pos] === ",") { pos++; continue; }
        if (text[pos] === "}") { pos++; return members; }
        fail();
      }
    }

    var result = value();
    skipSpace();
    if (pos !== text.length) fail();
    return result;
  }

  // --- bytes ---------------------------------------------------------------------------------------

  function concat() {
    var parts = Array.prototype.map.call(arguments, function (part) {
      return typeof part === "string" ? encoder.encode(part) : part;
    });
    var out = new Uint8Array(parts.reduce(function (n, part) { return n + part.length; }, 0));
    var offset = 0;
    parts.forEach(function (part) { out.set(part, offset); offset += part.length; });
    return out;
  }

  function toHex(bytes) {
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function fromHex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }

  function compareBytes(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }

  function base64urlEncode(bytes) {
    var binary = "";
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /* Unpadded base64url; "=", other alphabets and non-canonical text (stray bits) are refused. */
  function base64urlDecode(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
    var standard = text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - text.length % 4) % 4);
    var binary = atob(standard);
    var bytes = Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
    return base64urlEncode(bytes) === text ? bytes : null;
  }

  // --- WebCrypto -----------------------------------------------------------------------------------

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function sm3Digest(bytes) {
    return fromHex(globalThis.sm3(bytes));
  }

  /* The two profiles: what a record's "protocol" names, its hash, its HMAC and its signing key. An HMAC
     is made in two steps (a key from bytes, then messages under it) so WebCrypto imports a key once. */
  var PROFILES = {
    "sortes-draw/1": {
      name: "sortes-draw/1", algorithm: "Ed25519", description: "Ed25519, SHA-256", digest: sha256,
      hmacKey: function (keyBytes) {
        return crypto.subtle.importKey("raw", keyBytes, {name: "HMAC", hash: "SHA-256"}, false, ["sign"]);
      },
      hmac: async function (key, message) { return new Uint8Array(await crypto.subtle.sign("HMAC", key, message)); },
      verify: ed25519Verify,
    },
    "sortes-draw/1-sm": {
      name: "sortes-draw/1-sm", algorithm: "SM2", description: "SM2, SM3",
      digest: async function (bytes) { return sm3Digest(bytes); },
      hmacKey: async function (keyBytes) { return keyBytes; },
      hmac: async function (key, message) { return fromHex(globalThis.sm3(message, {key: key})); },
      verify: sm2Verify,
    },
  };

  function label(profile, what) {
    return profile.name + " " + what + "\n";
  }

  async function ed25519Verify(publicKey, signature, message) {
    try {
      var key = await crypto.subtle.importKey("raw", publicKey, {name: "Ed25519"}, false, ["verify"]);
      return await crypto.subtle.verify({name: "Ed25519"}, key, signature, message);
    } catch (error) {
      return false;  // a public key that is no curve point verifies nothing
    }
  }

  /* SM2 over SM3(Z ‖ message), Z with the default user ID; r and s outside [1, n−1] fail. */
  async function sm2Verify(publicKey, signature, message) {
    if (signature.length !== 64) return false;
    try {
      return globalThis.sm2.doVerifySignature(Array.from(message), toHex(signature), toHex(publicKey),
                                              {hash: true, userId: SM2_USER_ID});
    } catch (error) {
      return false;
    }
  }

  /* An SM2 public key: 0x04 ‖ X ‖ Y, a point of sm2p256v1. */
  function sm2KeyIsValid(publicKey) {
    if (publicKey.length !== 65 || publicKey[0] !== 4) return false;
    try {
      return globalThis.sm2.verifyPublicKey(toHex(publicKey));
    } catch (error) {
      return false;
    }
  }

  /* Whether the vendored SM2/SM3 code was loaded (the page loads it before this file). */
  function supportsSM() {
    return typeof globalThis.sm2 === "object" && typeof globalThis.sm3 === "function";
  }

  /* Whether this browser's WebCrypto has Ed25519 at all (older ones lack it). */
  async function supportsEd25519() {
    try {
      await crypto.subtle.importKey("raw", new Uint8Array(32), {name: "Ed25519"}, false, ["verify"]);
      return true;
    } catch (error) {
      return error.name !== "NotSupportedError";
    }
  }

  // --- the key set ---------------------------------------------------------------------------------

  /* SHA-256 of an Ed25519 key's 32 bytes, SM3 of an SM2 key's 65-byte point: the first 16 hex characters. */
  async function keyIdOf(publicKey, algorithm) {
    var digest = algorithm === "SM2" ? sm3Digest(publicKey) : await sha256(publicKey);
    return toHex(digest).slice(0, 16);
  }

  /* {"keys": [{key_id, algorithm, public_key, not_before?, not_after?}]}: unique ids that match their keys. */
  async function parseKeySet(document) {
    if (!isObject(document) || !Array.isArray(document.keys)) throw new Unusable("keys_array");
    var keys = [];
    for (var index = 0; index < document.keys.length; index++) {
      var item = document.keys[index];
      var where = "keys[" + index + "]";
      if (!isObject(item)) throw new Unusable("wrong_type", {name: where, type: "object"});
      ["key_id", "algorithm", "public_key"].forEach(function (name) {
        if (typeof item[name] !== "string") throw new Unusable("wrong_type", {name: where + "." + name, type: "string"});
      });
      ["not_before", "not_after"].forEach(function (name) {
        if (item[name] !== undefined && item[name] !== null && typeof item[name] !== "string") {
          throw new Unusable("wrong_type", {name: where + "." + name, type: "string / null"});
        }
      });
      var raw = base64urlDecode(item.public_key);
      if (raw === null) throw new Unusable("not_base64url", {name: where + ".public_key"});
      keys.push({key_id: item.key_id, algorithm: item.algorithm, public_key: raw});
    }
    var seen = new Set();
    for (var entry of keys) {
      if (seen.has(entry.key_id)) throw new Unusable("duplicate_key", {key_id: entry.key_id});
      seen.add(entry.key_id);
      if (entry.algorithm === "SM2" && !supportsSM()) throw new Unusable("no_sm", {});
      if (await keyIdOf(entry.public_key, entry.algorithm) !== entry.key_id) {
        throw new Unusable("key_mismatch", {key_id: entry.key_id});
      }
      if (entry.algorithm === "Ed25519" && entry.public_key.length !== 32) {
        throw new Unusable("key_length", {key_id: entry.key_id});
      }
    }
    return keys;
  }

  // --- the record's shape --------------------------------------------------------------------------

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  var TYPE_TESTS = {
    string: function (v) { return typeof v === "string"; },
    integer: function (v) { return typeof v === "bigint"; },
    array: Array.isArray,
    object: isObject,
  };

  function member(object, name, type, where) {
    var label = where ? where + "." + name : name;
    if (!has(object, name)) throw new Unusable("missing_member", {name: label});
    if (!TYPE_TESTS[type](object[name])) throw new Unusable("wrong_type", {name: label, type: type});
    return object[name];
  }

  /* Members present with their JSON types, or Unusable; as shared/draw/verify.py's _parse. */
  function shape(record) {
    var state = {text: {}, quotas: [], candidates: {}};
    TEXT_MEMBERS.forEach(function (name) { state.text[name] = member(record, name, "string"); });
    member(record, "quotas", "array").forEach(function (item, index) {
      var where = "quotas[" + index + "]";
      if (!isObject(item)) throw new Unusable("wrong_type", {name: where, type: "object"});
      state.quotas.push([member(item, "field", "string", where), member(item, "count", "integer", where)]);
    });
    var candidates = member(record, "candidates", "object");
    Object.keys(candidates).forEach(function (field) {
      var ids = candidates[field];
      if (!Array.isArray(ids) || !ids.every(TYPE_TESTS.string)) {
        throw new Unusable("wrong_type", {name: "candidates." + field, type: "array of strings"});
      }
      state.candidates[field] = ids;
    });
    state.reserves = member(record, "reserves_per_field", "integer");
    state.rawResult = member(record, "result", "object");
    return state;
  }

  // --- checks ----------------------------------------------------------------------------------------

  function sortedFields(state) {
    return state.quotas.map(function (quota) { return quota[0]; }).sort();
  }

  function sameSet(a, b) {
    var left = new Set(a), right = new Set(b);
    return left.size === right.size && Array.from(left).every(function (x) { return right.has(x); });
  }

  function sameList(a, b) {
    return a.length === b.length && a.every(function (item, i) { return item === b[i]; });
  }

  function listText(items) {
    return "[" + Array.from(new Set(items)).sort().join(", ") + "]";
  }

  function daysInMonth(year, month) {
    if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
    return [4, 6, 9, 11].indexOf(month) >= 0 ? 30 : 31;
  }

  function validTimestamp(value) {
    var m = TIMESTAMP.exec(value);
    if (!m) return false;
    var year = +m[1], month = +m[2], day = +m[3];
    return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
      +m[4] < 24 && +m[5] < 60 && +m[6] < 60;
  }

  function checkCodes(state) {
    var text = state.text;
    function code(name, value, pattern) {
      if (!pattern.test(value)) throw new Failed("codes", "bad_code", {name: name, value: value});
    }
    code("draw_id", text.draw_id, DRAW_ID);
    code("purpose", text.purpose, PURPOSE);
    code("project_code", text.project_code, CODE);
    ["committed_at", "drawn_at"].forEach(function (name) {
      if (!validTimestamp(text[name])) throw new Failed("codes", "bad_code", {name: name, value: text[name]});
    });
    if (state.quotas.length === 0) throw new Failed("codes", "no_quota");
    var seen = new Set();
    state.quotas.forEach(function (quota) {
      code("field", quota[0], CODE);
      if (seen.has(quota[0])) throw new Failed("codes", "duplicate_quota", {field: quota[0]});
      seen.add(quota[0]);
      if (quota[1] < 1n) throw new Failed("codes", "bad_count", {field: quota[0]});
    });
    if (state.reserves < 0n) throw new Failed("codes", "bad_reserves");
    Object.keys(state.candidates).forEach(function (field) {
      state.candidates[field].forEach(function (id) { code("candidates." + field, id, CODE); });
    });
    checkWitness(text.witness);
  }

  function checkWitness(witness) {
    var points = Array.from(witness);  // code points; a lone surrogate counts as one, and is Cs
    if (points.length < 1 || points.length > 200) throw new Failed("codes", "witness_length");
    points.forEach(function (point, position) {
      if (WITNESS_FORBIDDEN.test(point)) {
        var code = point.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
        throw new Failed("codes", "witness_char", {position: position, code: code});
      }
    });
    if (SPACE.test(points[0]) || SPACE.test(points[points.length - 1])) throw new Failed("codes", "witness_space");
    if (witness.normalize("NFC") !== witness) throw new Failed("codes", "witness_nfc");
    // Unassigned code points (Cn) are the service's to refuse; a verifier's Unicode may be older.
  }

  function checkSecretFormat(state) {
    if (!LOWER_HEX_64.test(state.text.secret)) throw new Failed("secret_format", "secret_format");
  }

  function checkCandidatesSorted(state) {
    var fields = sortedFields(state), present = Object.keys(state.candidates);
    if (!sameSet(fields, present)) {
      throw new Failed("candidates_sorted", "fields_differ",
                       {what: "candidates_word", present: listText(present), wanted: listText(fields)});
    }
    present.forEach(function (field) {
      var ids = state.candidates[field];  // ASCII codes (checked above): string order is byte order
      for (var i = 1; i < ids.length; i++) {
        if (!(ids[i - 1] < ids[i])) throw new Failed("candidates_sorted", "not_ascending", {field: field, id: ids[i]});
      }
    });
  }

  function checkResultFields(state) {
    var fields = sortedFields(state), present = Object.keys(state.rawResult);
    if (!sameSet(fields, present)) {
      throw new Failed("result_fields", "fields_differ",
                       {what: "result_word", present: listText(present), wanted: listText(fields)});
    }
    state.result = {};
    fields.forEach(function (field) {
      var entry = state.rawResult[field];
      var lists = ["primaries", "reserves"].map(function (name) { return isObject(entry) ? entry[name] : undefined; });
      if (!lists.every(function (ids) { return Array.isArray(ids) && ids.every(TYPE_TESTS.string); })) {
        throw new Failed("result_fields", "result_lists", {field: field});
      }
      state.result[field] = {primaries: lists[0], reserves: lists[1]};
    });
  }

  async function checkKey(state) {
    var wanted = state.text.key_id;
    var entry = state.keys.find(function (key) { return key.key_id === wanted; });
    if (!entry) throw new Failed("key", "no_key", {key_id: wanted});
    var profile = state.profile;
    if (entry.algorithm !== profile.algorithm) {
      throw new Failed("key", "wrong_algorithm", {key_id: wanted, algorithm: entry.algorithm, protocol: profile.name,
                                                  expected: profile.algorithm});
    }
    if (entry.algorithm === "Ed25519" && entry.public_key.length !== 32) {
      throw new Failed("key", "not_ed25519", {key_id: wanted});
    }
    if (entry.algorithm === "SM2" && !sm2KeyIsValid(entry.public_key)) {
      throw new Failed("key", "not_sm2", {key_id: wanted});
    }
    if (await keyIdOf(entry.public_key, entry.algorithm) !== wanted) {
      throw new Failed("key", "key_mismatch", {key_id: wanted});
    }
    state.key = entry;
  }

  async function checkCandidatesDigest(state) {
    var lines = "";
    Object.keys(state.candidates).sort().forEach(function (field) {
      state.candidates[field].slice().sort().forEach(function (id) { lines += field + ":" + id + "\n"; });
    });
    var digest = toHex(await state.profile.digest(concat(label(state.profile, "candidates"), lines)));
    if (digest !== state.text.candidates_digest) throw new Failed("candidates_digest", "candidates_digest");
  }

  async function checkCommitment(state) {
    var hash = toHex(await state.profile.digest(concat(label(state.profile, "secret"), fromHex(state.text.secret))));
    if (hash !== state.text.commitment) throw new Failed("commitment", "commitment");
  }

  function commitBody(state) {
    var text = state.text;
    var counts = new Map(state.quotas);
    var lines = ["draw:" + text.draw_id, "purpose:" + text.purpose, "project:" + text.project_code,
                 "committed_at:" + text.committed_at, "key:" + text.key_id];
    sortedFields(state).forEach(function (field) { lines.push("quota:" + field + "=" + counts.get(field).toString()); });
    lines.push("reserves_per_field:" + state.reserves.toString(), "candidates:" + text.candidates_digest,
               "commitment:" + text.commitment);
    return lines.map(function (line) { return line + "\n"; }).join("");
  }

  async function checkSignature(state, name, message) {
    var signature = base64urlDecode(state.text[name]);
    if (signature === null) throw new Failed(name, "not_base64url", {name: name});
    if (!await state.profile.verify(state.key.public_key, signature, message)) {
      throw new Failed(name, "bad_signature", {name: name, key_id: state.key.key_id});
    }
  }

  async function checkCommitSignature(state) {
    state.body = commitBody(state);
    await checkSignature(state, "commit_signature", concat(label(state.profile, "commit"), state.body));
  }

  async function checkSeed(state) {
    var profile = state.profile;
    var key = await profile.hmacKey(fromHex(state.text.secret));
    state.seed = await profile.hmac(key, concat(label(profile, "seed"), state.body,
                                                "witness:" + state.text.witness + "\n"));
    if (toHex(state.seed) !== state.text.seed) throw new Failed("seed", "seed");
  }

  async function checkResult(state) {
    var counts = new Map(state.quotas);
    var expected = await select(state.seed, counts, state.reserves, state.candidates, state.profile);
    sortedFields(state).forEach(function (field) {
      var mine = expected[field], theirs = state.result[field];
      if (!sameList(mine.primaries, theirs.primaries) || !sameList(mine.reserves, theirs.reserves)) {
        throw new Failed("result", "result", {field: field, primaries: mine.primaries.join(",") || "—",
                                              reserves: mine.reserves.join(",") || "—"});
      }
    });
  }

  async function checkResultSignature(state) {
    var tail = "witness:" + state.text.witness + "\n" + "drawn_at:" + state.text.drawn_at + "\n" +
      "seed:" + toHex(state.seed) + "\n";
    sortedFields(state).forEach(function (field) {
      tail += "primaries:" + field + "=" + state.result[field].primaries.join(",") + "\n";
      tail += "reserves:" + field + "=" + state.result[field].reserves.join(",") + "\n";
    });
    await checkSignature(state, "signature", concat(label(state.profile, "result"), state.body, tail));
  }

  function checkDrawnAt(state) {
    // Both are fixed-width UTC timestamps (checked under "codes"): text order is time order.
    if (state.text.drawn_at < state.text.committed_at) throw new Failed("drawn_at", "drawn_at");
  }

  var STEPS = [checkCodes, checkSecretFormat, checkCandidatesSorted, checkResultFields, checkKey,
               checkCandidatesDigest, checkCommitment, checkCommitSignature, checkSeed, checkResult,
               checkResultSignature, checkDrawnAt];

  // --- selection -------------------------------------------------------------------------------------

  /* A field's candidates by (HMAC-H(seed, "rank\n<f>\n<i>"), id bytes) ascending; H the profile's hash. */
  async function ranking(seed, field, ids, profile) {
    var key = await profile.hmacKey(seed);
    var entries = await Promise.all(ids.map(async function (id) {
      var idBytes = encoder.encode(id);
      return {id: id, idBytes: idBytes, rank: await profile.hmac(key, concat("rank\n" + field + "\n", idBytes))};
    }));
    entries.sort(function (a, b) { return compareBytes(a.rank, b.rank) || compareBytes(a.idBytes, b.idBytes); });
    return entries.map(function (entry) { return entry.id; });
  }

  /* The size of a maximum matching of open places (want[f] of field f) to distinct candidates,
     counted per membership pattern: candidates in the same set of fields are interchangeable, so
     it is a maximum flow source → field f (want[f]) → pattern p ∋ f → sink (avail[p]). */
  function capacity(want, patterns, avail) {
    var F = want.length, P = patterns.length, source = F + P, sink = F + P + 1;
    var residual = new Map();
    var edges = Array.from({length: F + P + 2}, function () { return []; });
    function add(from, to, units) {
      var forward = from + ">" + to, backward = to + ">" + from;
      if (!residual.has(forward)) { edges[from].push(to); edges[to].push(from); residual.set(backward, 0); }
      residual.set(forward, units);
    }
    for (var f = 0; f < F; f++) if (want[f] > 0) add(source, f, want[f]);
    for (var p = 0; p < P; p++) {
      if (avail[p] <= 0) continue;
      add(F + p, sink, avail[p]);
      patterns[p].forEach(function (field) { add(field, F + p, Infinity); });
    }
    var total = 0;
    for (;;) {  // Edmonds–Karp: shortest augmenting paths
      var cameFrom = new Map([[source, -1]]);
      var queue = [source];
      while (queue.length && !cameFrom.has(sink)) {
        var node = queue.shift();
        edges[node].forEach(function (next) {
          if (!cameFrom.has(next) && residual.get(node + ">" + next) > 0) { cameFrom.set(next, node); queue.push(next); }
        });
      }
      if (!cameFrom.has(sink)) return total;
      var units = Infinity;
      for (var v = sink; v !== source; v = cameFrom.get(v)) units = Math.min(units, residual.get(cameFrom.get(v) + ">" + v));
      for (v = sink; v !== source; v = cameFrom.get(v)) {
        var u = cameFrom.get(v);
        residual.set(u + ">" + v, residual.get(u + ">" + v) - units);
        residual.set(v + ">" + u, residual.get(v + ">" + u) + units);
      }
      total += units;
    }
  }

  /* The spec's selection: {field: {primaries, reserves}} in placing order. `counts` maps each quota
     field to a BigInt; a want larger than the field's list is cut to its length, which changes no
     capacity (a field never takes more candidates than it lists). */
  async function select(seed, counts, reserves, candidates, profile) {
    profile = profile || PROFILES[PROTOCOL];
    var fields = Array.from(counts.keys()).sort();
    var lists = fields.map(function (field) { return candidates[field] || []; });
    var rankings = await Promise.all(fields.map(function (field, f) {
      return ranking(seed, field, lists[f], profile);
    }));
    var patternIndex = new Map(), patterns = [], patternOf = new Map();
    var membership = new Map();
    lists.forEach(function (ids, f) {
      ids.forEach(function (id) { membership.set(id, (membership.get(id) || []).concat([f])); });
    });
    membership.forEach(function (inFields, id) {
      var name = inFields.join(",");
      if (!patternIndex.has(name)) { patternIndex.set(name, patterns.length); patterns.push(inFields); }
      patternOf.set(id, patternIndex.get(name));
    });
    var avail = patterns.map(function () { return 0; });
    patternOf.forEach(function (p) { avail[p] += 1; });
    var chosen = new Set();

    function runPass(wanted) {
      var want = fields.map(function (field, f) {
        return wanted[f] > BigInt(lists[f].length) ? lists[f].length : Number(wanted[f]);
      });
      var placed = fields.map(function () { return []; });
      var cap = capacity(want, patterns, avail);
      fields.forEach(function (field, f) {
        for (var id of rankings[f]) {
          if (want[f] === 0) break;
          if (chosen.has(id)) continue;
          var p = patternOf.get(id);
          want[f] -= 1;
          avail[p] -= 1;
          if (capacity(want, patterns, avail) === cap - 1) {
            chosen.add(id);
            placed[f].push(id);
            cap -= 1;
          } else {
            want[f] += 1;
            avail[p] += 1;
          }
        }
      });
      return placed;
    }

    var primaries = runPass(fields.map(function (field) { return counts.get(field); }));
    var spares = runPass(fields.map(function () { return reserves; }));
    var result = {};
    fields.forEach(function (field, f) { result[field] = {primaries: primaries[f], reserves: spares[f]}; });
    return result;
  }

  // --- the whole verification -------------------------------------------------------------------------

  async function verifyRecord(record, keys) {
    if (!isObject(record)) throw new Unusable("wrong_type", {name: "record", type: "object"});
    var protocol = member(record, "protocol", "string");
    var checks = CHECKS.map(function (name) { return {name: name, status: "not_run", key: null, params: {}}; });
    function finish(failure) {
      var index = failure ? CHECKS.indexOf(failure.check) : CHECKS.length;
      checks.forEach(function (check, i) { if (i < index) check.status = "passed"; });
      if (failure) Object.assign(checks[index], {status: "failed", key: failure.key, params: failure.params});
      return {ok: !failure, failed: failure ? failure.check : null, checks: checks,
              profile: profile ? {name: profile.name, description: profile.description} : null};
    }
    var profile = has(PROFILES, protocol) ? PROFILES[protocol] : null;
    if (!profile) return finish(new Failed("protocol", "protocol", {value: protocol}));
    if (profile.algorithm === "SM2" && !supportsSM()) throw new Unusable("no_sm", {});
    var state = shape(record);
    state.keys = keys;
    state.profile = profile;
    try {
      for (var step of STEPS) await step(state);
    } catch (error) {
      if (error instanceof Failed) return finish(error);
      throw error;
    }
    return finish(null);
  }

  /* As verifyRecord, from the two texts; an Unusable says in `source` which text it is about. */
  async function verifyTexts(recordText, keysText) {
    function from(source, work) {
      return work().catch(function (error) {
        if (error instanceof Unusable) error.source = source;
        throw error;
      });
    }
    var record = await from("record", async function () { return parseJson(recordText); });
    var keys = await from("keys", async function () { return parseKeySet(parseJson(keysText)); });
    var outcome = await from("record", function () { return verifyRecord(record, keys); });
    outcome.record = record;
    return outcome;
  }

  return {CHECKS: CHECKS, Unusable: Unusable, parseJson: parseJson, parseKeySet: parseKeySet,
          verifyRecord: verifyRecord, verifyTexts: verifyTexts, select: select,
          supportsEd25519: supportsEd25519, supportsSM: supportsSM, PROFILES: Object.keys(PROFILES)};
})();
