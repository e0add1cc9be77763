// A real OpenID provider (the npm package oidc-provider, pinned in package.json) for motcua's
// sign-in tests: a stand-in for VNeID on 127.0.0.1.
//
// It listens on a random port and prints one line, `{"issuer": "http://127.0.0.1:PORT"}`.
// The test then registers motcua as its one client with `POST /__setup {redirect_uri,
// post_logout_redirect_uri}` (motcua's own port is not known before), and may ask the next
// token response to be tampered with, `POST /__tamper {"mode": ...}`, to see motcua refuse:
//   nonce       the ID token carries another nonce
//   aud         the ID token is for another client
//   expired     the ID token expired ten minutes ago
//   unknown_key the ID token is signed by a key the provider never published
//   rotate      the provider rotates its keys: a new key is published and signs from now on
//               (motcua must fetch the keys again and accept it)
//
// The login page (`/interaction/:uid`) asks for the personal identification number and the
// assurance level (Vietnamese e-identification levels 1 and 2, given as `acr`); the person's
// claims come from PEOPLE below (any other well-formed number gets a made-up person).
import http from 'node:http';
// stdout carries one line, the issuer; everything else the provider says goes to stderr.
console.log = console.info = console.warn = console.error;
import { Provider } from 'oidc-provider';
import * as jose from 'jose';

const PEOPLE = {
  '001090012345': {
    name: 'Nguyễn Thị Định Danh',
    birthdate: '1990-05-17',
    gender: 'female',
    phone_number: '0912345678',
    address: { street_address: 'Số 12 phố Lê Thánh Tông', locality: 'Phường Hạ Long', region: 'Quảng Ninh', country: 'VN' },
  },
};

async function key(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}
const publicOf = ({ d, p, q, dp, dq, qi, ...pub }) => pub;

const first = await key('k1');
const rotated = await key('k2');
const rogue = await key('rogue');
let tamper = 'none';
let rotatedNow = false;

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;

function build(issuer, { redirect_uri, post_logout_redirect_uri }) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'motcua',
      client_secret: 'motcua-test-secret',
      redirect_uris: [redirect_uri],
      post_logout_redirect_uris: [post_logout_redirect_uri],
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      // The kiosk's device flow (RFC 8628) uses this client too.
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [first] },
    acrValues: ['level1', 'level2'],
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      openid: ['sub'],
      profile: ['name', 'birthdate', 'gender'],
      phone: ['phone_number'],
      address: ['address'],
      cccd: ['cccd'],
    },
    scopes: ['openid', 'profile', 'phone', 'address', 'cccd'],
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true }, deviceFlow: { enabled: true } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['motcua-test-cookie-key'] },
    async findAccount(ctx, id) {
      const person = PEOPLE[id] ?? { name: `Công Dân ${id.slice(-4)}`, birthdate: '1985-01-02', gender: 'male' };
      return { accountId: id, claims: async () => ({ sub: `vneid-${id}`, cccd: id, ...person }) };
    },
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile phone address cccd');
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;

  // The keys published: the first key, and the rotated one once rotated.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks' && rotatedNow) {
      ctx.body = { keys: [publicOf(first), publicOf(rotated)] };
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token && (tamper !== 'none' || rotatedNow)) {
      const claims = jose.decodeJwt(ctx.body.id_token);
      let signer = rotatedNow ? rotated : first;
      if (tamper === 'nonce') claims.nonce = 'another-nonce';
      if (tamper === 'aud') claims.aud = 'another-client';
      if (tamper === 'expired') {
        claims.iat -= 1200;
        claims.exp = Math.floor(Date.now() / 1000) - 600;
      }
      if (tamper === 'unknown_key') signer = rogue;
      const keyObject = await jose.importJWK(signer, 'RS256');
      ctx.body = {
        ...ctx.body,
        id_token: await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signer.kid }).sign(keyObject),
      };
      tamper = 'none';
    }
  });
  return provider;
}

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

let provider = null;
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/__setup') {
      provider = build(issuer, JSON.parse(await body(req)));
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/__tamper') {
      const { mode } = JSON.parse(await body(req));
      if (mode === 'rotate') rotatedNow = true;
      else tamper = mode;
      res.writeHead(204).end();
      return;
    }
    if (!provider) {
      res.writeHead(503).end('not set up');
      return;
    }
    const m = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (m && req.method === 'GET') {
      const details = await provider.interactionDetails(req, res);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page('Đăng nhập VNeID (thử)', `
<form method="post" action="/interaction/${esc(details.uid)}/login">
<p><label for="cccd">Số định danh cá nhân</label><br><input id="cccd" name="cccd" inputmode="numeric" required></p>
<p><label for="level">Mức định danh</label><br><select id="level" name="level">
<option value="level2">Mức 2</option><option value="level1">Mức 1</option></select></p>
<p><button type="submit">Đăng nhập</button></p></form>`));
      return;
    }
    if (m && m[2] && req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      const cccd = form.get('cccd') ?? '';
      if (!/^\d{12}$/.test(cccd)) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('Sai số định danh', ''));
        return;
      }
      await provider.interactionFinished(req, res, {
        login: { accountId: cccd, acr: form.get('level') === 'level1' ? 'level1' : 'level2' },
      }, { mergeWithLastSubmission: false });
      return;
    }
    provider.callback()(req, res);
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
  }
});

let issuer;
server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
