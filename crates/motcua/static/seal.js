// The offline check of a paper's signed QR code (/kiem-tra-qr): the text is `MC1:` and the
// Base45 of a COSE_Sign1 message (CBOR, tag 18) whose payload is a CBOR Web Token and whose
// x5chain header holds the issuing body's certificate. Checked here, with WebCrypto, against
// the CA certificates the page carries: the certificate is issued by one of them and valid
// now, it names the body the token says issued the paper, and the signature covers the token.
// Nothing is sent anywhere. The QR reader is jsQR (Apache-2.0).
"use strict";
(() => {
  const root = document.getElementById("kiem-tra");
  const out = document.getElementById("qr-ket-qua");
  if (!root || !out) return;
  const en = root.dataset.lang === "en";
  const say = (vi, english) => (en ? english : vi);

  // ---- Base45 (RFC 9285) ----
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function base45(text) {
    const bytes = [];
    for (let i = 0; i < text.length; i += 3) {
      const v = Array.from(text.slice(i, i + 3), (c) => {
        const k = B45.indexOf(c);
        if (k < 0) throw new Error("base45");
        return k;
      });
      if (v.length === 3) {
        const n = v[0] + v[1] * 45 + v[2] * 2025;
        if (n > 0xffff) throw new Error("base45");
        bytes.push(n >> 8, n & 0xff);
      } else if (v.length === 2) {
        const n = v[0] + v[1] * 45;
        if (n > 0xff) throw new Error("base45");
        bytes.push(n);
      } else throw new Error("base45");
    }
    return Uint8Array.from(bytes);
  }

  // ---- CBOR (RFC 8949), the definite-length subset a seal uses ----
  function cbor(bytes) {
    let p = 0;
    const need = (n) => {
      if (p + n > bytes.length) throw new Error("cbor");
    };
    const arg = (ai) => {
      if (ai < 24) return ai;
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[ai];
      if (!size) throw new Error("cbor");
      need(size);
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + bytes[p++];
      return v;
    };
    const item = (depth) => {
      if (depth > 16) throw new Error("cbor");
      need(1);
      const b = bytes[p++];
      const major = b >> 5;
      const n = arg(b & 31);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: { need(n); const v = bytes.slice(p, p + n); p += n; return v; }
        case 3: { need(n); const v = new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(p, p + n)); p += n; return v; }
        case 4: { const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1)); return a; }
        case 5: { const m = new Map(); for (let i = 0; i < n; i++) { const k = item(depth + 1); m.set(k, item(depth + 1)); } return m; }
        case 6: return { tag: n, value: item(depth + 1) };
        default:
          if (n === 20) return false;
          if (n === 21) return true;
          if (n === 22) return null;
          throw new Error("cbor");
      }
    };
    const v = item(0);
    if (p !== bytes.length) throw new Error("cbor");
    return v;
  }
  function head(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 0x100) return [(major << 5) | 24, n];
    if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }
  // Sig_structure = ["Signature1", protected, external_aad (empty), payload] (RFC 9052 §4.4).
  function toBeSigned(protectedBytes, payload) {
    const label = new TextEncoder().encode("Signature1");
    return Uint8Array.from([
      0x84, ...head(3, label.length), ...label,
      ...head(2, protectedBytes.length), ...protectedBytes,
      0x40, ...head(2, payload.length), ...payload,
    ]);
  }

  // ---- X.509 (DER), what a chain check needs ----
  function tlv(bytes, p) {
    if (p + 2 > bytes.length) throw new Error("der");
    const tag = bytes[p];
    let len = bytes[p + 1];
    let body = p + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 4) throw new Error("der");
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[body++];
    }
    if (body + len > bytes.length) throw new Error("der");
    return { tag, start: p, body, end: body + len };
  }
  function kids(bytes, node) {
    const list = [];
    for (let p = node.body; p < node.end; ) { const c = tlv(bytes, p); list.push(c); p = c.end; }
    return list;
  }
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const OID = {
    ecPublicKey: "2a8648ce3d0201", rsa: "2a864886f70d010101",
    ecdsaSha256: "2a8648ce3d040302", rsaSha256: "2a864886f70d01010b",
    cn: "550403", uid: "0992268993f22c640101",
  };
  function time(bytes, node) {
    const s = new TextDecoder().decode(bytes.slice(node.body, node.end));
    const m = node.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) throw new Error("der");
    let year = Number(m[1]);
    if (node.tag === 0x17) year += year < 50 ? 2000 : 1900;
    return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  function nameValues(bytes, name) {
    const values = {};
    for (const set of kids(bytes, name)) {
      for (const atv of kids(bytes, set)) {
        const [oid, value] = kids(bytes, atv);
        values[hex(bytes.slice(oid.body, oid.end))] = new TextDecoder().decode(bytes.slice(value.body, value.end));
      }
    }
    return values;
  }
  function certificate(bytes) {
    const [tbs, alg, sig] = kids(bytes, tlv(bytes, 0));
    const f = kids(bytes, tbs);
    const i = f[0].tag === 0xa0 ? 1 : 0;
    const [issuer, validity, subject, spki] = [f[i + 2], f[i + 3], f[i + 4], f[i + 5]];
    const [notBefore, notAfter] = kids(bytes, validity).map((n) => time(bytes, n));
    const keyAlg = kids(bytes, kids(bytes, spki)[0])[0];
    const sigAlg = kids(bytes, alg)[0];
    return {
      tbs: bytes.slice(tbs.start, tbs.end),
      issuer: hex(bytes.slice(issuer.start, issuer.end)),
      subject: hex(bytes.slice(subject.start, subject.end)),
      names: nameValues(bytes, subject),
      notBefore, notAfter,
      spki: bytes.slice(spki.start, spki.end),
      keyAlg: hex(bytes.slice(keyAlg.body, keyAlg.end)),
      sigAlg: hex(bytes.slice(sigAlg.body, sigAlg.end)),
      // BIT STRING: its first byte counts unused bits (none).
      signature: bytes.slice(sig.body + 1, sig.end),
    };
  }
  // An X.509 ECDSA signature is DER SEQUENCE { r, s }; WebCrypto wants r and s side by side.
  function rawEcdsa(der) {
    const [r, s] = kids(der, tlv(der, 0)).map((n) => der.slice(n.body, n.end));
    const fix = (x) => { while (x.length > 32 && x[0] === 0) x = x.slice(1); const o = new Uint8Array(32); o.set(x, 32 - x.length); return o; };
    return Uint8Array.from([...fix(r), ...fix(s)]);
  }
  async function verifyWith(spki, keyAlg, algorithm, signature, data) {
    const subtle = window.crypto && window.crypto.subtle;
    if (!subtle) throw new Error(say("trình duyệt không có WebCrypto (cần https)", "this browser has no WebCrypto (https needed)"));
    if (keyAlg === OID.ecPublicKey && algorithm === "ES256") {
      const key = await subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      return subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data);
    }
    if (keyAlg === OID.rsa && algorithm === "RS256") {
      const key = await subtle.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
      return subtle.verify("RSASSA-PKCS1-v1_5", key, signature, data);
    }
    return false;
  }
  const anchors = (() => {
    try {
      return JSON.parse(document.getElementById("qr-ca").textContent).map((b64) =>
        certificate(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
    } catch (e) {
      return [];
    }
  })();

  class Refused extends Error {}
  const refuse = (vi, english) => { throw new Refused(say(vi, english)); };

  // Checks a seal's text; what it says, or a Refused error saying why not.
  async function check(text) {
    text = text.trim();
    if (!text.startsWith("MC1:")) refuse("không phải mã QR ký số của hệ thống (thiếu MC1:)", "not a signed QR code of this system (no MC1:)");
    let message;
    try {
      message = cbor(base45(text.slice(4)));
    } catch (e) {
      refuse("mã QR hỏng (không đọc được)", "the QR code is damaged (unreadable)");
    }
    if (message && message.tag === 18) message = message.value;
    if (!Array.isArray(message) || message.length !== 4) refuse("mã QR hỏng (không phải COSE_Sign1)", "the QR code is damaged (not COSE_Sign1)");
    const [protectedBytes, unprotected, payload, signature] = message;
    let headers;
    try { headers = cbor(protectedBytes); } catch (e) { refuse("mã QR hỏng", "the QR code is damaged"); }
    const algorithm = { [-7]: "ES256", [-257]: "RS256" }[headers.get(1)];
    if (!algorithm) refuse("thuật toán ký không được hỗ trợ", "unsupported signature algorithm");
    let chain = (unprotected instanceof Map && unprotected.get(33)) || headers.get(33);
    if (Array.isArray(chain)) chain = chain[0];
    if (!(chain instanceof Uint8Array)) refuse("mã QR không mang chứng thư số của cơ quan ký", "the QR code carries no certificate");
    let cert;
    try { cert = certificate(chain); } catch (e) { refuse("chứng thư số trong mã QR hỏng", "the certificate in the QR code is damaged"); }
    const now = new Date();
    if (now < cert.notBefore) refuse(`chứng thư số của người ký chưa có hiệu lực (từ ${day(cert.notBefore)})`, `the signer's certificate is not valid yet (from ${day(cert.notBefore)})`);
    if (now > cert.notAfter) refuse(`chứng thư số của người ký đã hết hạn (${day(cert.notAfter)})`, `the signer's certificate expired (${day(cert.notAfter)})`);
    // Issued by one of the trusted CAs, which is itself valid now.
    let trusted = false;
    for (const ca of anchors) {
      if (ca.subject !== cert.issuer || now < ca.notBefore || now > ca.notAfter) continue;
      const sig = ca.keyAlg === OID.ecPublicKey ? rawEcdsa(cert.signature) : cert.signature;
      const alg = cert.sigAlg === OID.ecdsaSha256 ? "ES256" : cert.sigAlg === OID.rsaSha256 ? "RS256" : "";
      try {
        if (await verifyWith(ca.spki, ca.keyAlg, alg, sig, cert.tbs)) { trusted = true; break; }
      } catch (e) { /* the next CA */ }
    }
    if (!trusted) refuse("chứng thư số không do tổ chức chứng thực tin cậy cấp", "the certificate was not issued by a trusted CA");
    if (!(await verifyWith(cert.spki, cert.keyAlg, algorithm, signature, toBeSigned(protectedBytes, payload)))) {
      refuse("chữ ký không khớp nội dung (mã QR đã bị sửa hoặc giả mạo)", "the signature does not match (the QR code was altered or forged)");
    }
    let claims;
    try { claims = cbor(payload); } catch (e) { refuse("nội dung mã QR hỏng", "the QR code's content is damaged"); }
    const issuer = claims.get(1);
    const org = cert.names[OID.uid];
    if (org !== issuer) refuse(`chứng thư số của ${org || cert.names[OID.cn]} không thuộc cơ quan ghi trên giấy tờ ${issuer}`, `the certificate of ${org || cert.names[OID.cn]} does not belong to ${issuer}, the paper's issuer`);
    return { claims, signer: cert.names[OID.cn] || org };
  }

  // ---- Showing it ----
  function day(d) {
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
    }).formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`;
  }
  const KINDS = {
    KQ: ["Kết quả giải quyết thủ tục hành chính", "Result of an administrative procedure"],
    BL: ["Biên lai thu phí, lệ phí", "Fee receipt"],
    "01": ["Giấy tiếp nhận hồ sơ và hẹn trả kết quả (mẫu 01)", "Dossier receipt and appointment (form 01)"],
    "04": ["Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)", "Apology and new date (form 04)"],
  };
  function row(list, term, value) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    if (value instanceof Node) dd.append(value); else dd.textContent = value;
    list.append(dt, dd);
  }
  function show(found) {
    out.replaceChildren();
    const c = found.claims;
    const kind = KINDS[c.get(-70001)] || [c.get(-70001), c.get(-70001)];
    const issued = new Date(c.get(6) * 1000);
    const ok = document.createElement("p");
    ok.className = "notice ok";
    const strong = document.createElement("strong");
    strong.textContent = say("Chữ ký số hợp lệ", "The digital signature is valid");
    ok.append(strong, say(`: ký bởi ${found.signer}, cấp lúc ${day(issued)}. Kiểm tra trực tuyến để biết giấy tờ có bị thu hồi sau đó không.`,
      `: signed by ${found.signer}, issued ${day(issued)}. Check online whether it was revoked since.`));
    const list = document.createElement("dl");
    list.className = "facts";
    row(list, say("Loại giấy tờ", "Kind"), kind[en ? 1 : 0]);
    row(list, say("Số", "Number"), c.get(2));
    row(list, say("Cơ quan cấp", "Issued by"), `${found.signer} (${c.get(1)})`);
    row(list, say("Ngày cấp", "Issued"), day(issued));
    if (c.get(-70003)) row(list, say("Người được cấp", "Holder"), c.get(-70003));
    if (c.get(-70002) instanceof Uint8Array) {
      const code = document.createElement("code");
      code.textContent = hex(c.get(-70002));
      row(list, say("SHA-256 của tệp kết quả", "SHA-256 of the result file"), code);
    }
    if (typeof c.get(-70005) === "number") row(list, say("Số tiền", "Amount"), `${new Intl.NumberFormat("vi-VN").format(c.get(-70005))} ₫`);
    if (typeof c.get(-70006) === "number") row(list, say("Hẹn trả kết quả", "Result due"), day(new Date(c.get(-70006) * 1000)));
    const url = c.get(-70004);
    if (typeof url === "string" && /^https?:\/\//.test(url)) {
      const a = document.createElement("a");
      a.href = url;
      a.textContent = url;
      row(list, say("Kiểm tra thu hồi (cần mạng)", "Revocation check (online)"), a);
    }
    out.append(ok, list);
  }
  function showError(text) {
    out.replaceChildren();
    const p = document.createElement("p");
    p.className = "notice";
    p.setAttribute("role", "alert");
    const strong = document.createElement("strong");
    strong.textContent = say("KHÔNG hợp lệ", "NOT valid");
    p.append(strong, `: ${text}`);
    out.append(p);
  }
  async function run(text) {
    try {
      show(await check(text));
    } catch (e) {
      showError(e instanceof Refused ? e.message : say("không kiểm tra được mã QR này", "this QR code could not be checked"));
    }
  }

  // ---- Reading the code: a picture, the camera, or pasted text ----
  // A picture is read at 1600 px on its longer side first: quick, and enough for a camera
  // frame or a photo of the code alone. A whole A4 sheet photographed or scanned at 300 dpi is
  // about 3500 px tall, and its seal (40 mm, some 110 modules) shrunk to 1600 px leaves under
  // two pixels a module, too few to read; so a larger picture is read again at up to 4000 px.
  const SIZES = [1600, 4000];
  const canvas = document.createElement("canvas");
  function readPixels(source, width, height, sizes) {
    let tried = 0;
    for (const size of sizes) {
      const scale = Math.min(1, size / Math.max(width, height));
      if (scale === tried) break;
      tried = scale;
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR ? window.jsQR(img.data, img.width, img.height) : null;
      if (found) return found.data;
    }
    return null;
  }
  document.getElementById("qr-anh").addEventListener("change", async (ev) => {
    const file = ev.target.files && ev.target.files[0];
    if (!file) return;
    try {
      const bitmap = await createImageBitmap(file);
      const text = readPixels(bitmap, bitmap.width, bitmap.height, SIZES);
      if (text) { document.getElementById("qr-noi-dung").value = text; await run(text); }
      else showError(say("không tìm thấy mã QR trong ảnh; chụp gần hơn, đủ sáng", "no QR code found in the picture; take it closer, in good light"));
    } catch (e) {
      showError(say("không đọc được ảnh", "the picture could not be read"));
    }
  });
  document.getElementById("qr-kiem-tra").addEventListener("click", () => run(document.getElementById("qr-noi-dung").value));
  const camera = document.getElementById("qr-may-anh");
  const video = document.getElementById("qr-video");
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    camera.hidden = false;
    camera.addEventListener("click", async () => {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      } catch (e) {
        showError(say("không mở được máy ảnh; hãy chọn ảnh thay vào đó", "the camera could not be opened; choose a picture instead"));
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const tick = async () => {
        const text = video.videoWidth ? readPixels(video, video.videoWidth, video.videoHeight, SIZES.slice(0, 1)) : null;
        if (text && text.startsWith("MC1:")) {
          stream.getTracks().forEach((t) => t.stop());
          video.hidden = true;
          document.getElementById("qr-noi-dung").value = text;
          await run(text);
        } else setTimeout(tick, 250);
      };
      tick();
    });
  }
  root.hidden = false;
})();
