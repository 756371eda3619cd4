// A real OpenID provider for Muster's tests: panva's oidc-provider on loopback, with one
// client and test users.
//
//   OIDC_REDIRECT_URIS  the client's redirect addresses, comma-separated (required)
//   OIDC_PORT           the port (default: any free one)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET  the client (default: muster / muster-test-secret)
//
// Prints "ISSUER <url>" once it listens. The users: any address, with the password
// "provider password". Addresses starting with "unverified" are not verified
// (email_verified false). Consent is given at once (Muster is a first-party client).
//
// For the tests of what a relying party must refuse, some users get a forged ID token,
// signed with the provider's own key, so only its claims are wrong: "tamper-issuer..."
// (another issuer), "tamper-audience..." (another client), "tamper-nonce..." (another
// sign-in's nonce), and "tamper-signature..." (signed by a key the provider never
// published).
//
// A test may make the provider misbehave as a hostile organization's would: POST a JSON
// object to /__test/discovery and its fields replace those of the discovery document
// from then on (e.g. {"authorization_endpoint": "javascript:..."}); {} restores it.

import http from 'node:http';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const signing = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(signing.privateKey)), kid: 'muster-test', alg: 'RS256', use: 'sig' };
const stranger = await jose.generateKeyPair('RS256');

const PASSWORD = 'provider password';
const redirects = (process.env.OIDC_REDIRECT_URIS || '').split(',').filter(Boolean);
if (redirects.length === 0) {
  console.error('OIDC_REDIRECT_URIS is required');
  process.exit(2);
}

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID || 'muster',
    client_secret: process.env.OIDC_CLIENT_SECRET || 'muster-test-secret',
    redirect_uris: redirects,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  cookies: { keys: ['muster test provider cookies'] },
  jwks: { keys: [jwk] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The scopes' claims go in the ID token (Muster reads them there).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        const local = id.split('@')[0];
        return {
          sub: id,
          email: id,
          email_verified: !id.startsWith('unverified'),
          name: local.charAt(0).toUpperCase() + local.slice(1) + ' Provider',
        };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// Forges the ID tokens of the "tamper-" users (see above).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || !ctx.body?.id_token) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  const who = String(claims.email || '');
  if (!who.startsWith('tamper-')) return;
  let key = signing.privateKey;
  if (who.startsWith('tamper-issuer')) claims.iss = `${issuer}/elsewhere`;
  if (who.startsWith('tamper-audience')) claims.aud = 'another-client';
  if (who.startsWith('tamper-nonce')) claims.nonce = 'another-sign-in';
  if (who.startsWith('tamper-signature')) key = stranger.privateKey;
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'muster-test' })
      .sign(key),
  };
});

// What a test asked the discovery document to say instead (see above).
let discoveryOverrides = {};
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
    ctx.body = { ...ctx.body, ...discoveryOverrides };
  }
});

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main><h1>Test provider</h1>${body}</main></body></html>`);
}

async function form(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const uid = details.uid;
  if (req.method === 'POST') {
    const fields = await form(req);
    const email = (fields.get('email') || '').trim().toLowerCase();
    if (fields.get('password') !== PASSWORD || !email.includes('@')) {
      return page(res, 401, `<p role="alert">Wrong email or password.</p>${loginForm(uid, email)}`);
    }
    return provider.interactionFinished(req, res, { login: { accountId: email } },
      { mergeWithLastSubmission: false });
  }
  return page(res, 200, loginForm(uid, details.params.login_hint));
}

function loginForm(uid, email) {
  return `<form method="post" action="/interaction/${escape(uid)}">
<p><label for="email">Provider email</label> <input id="email" name="email" type="email" value="${escape(email)}"></p>
<p><label for="password">Provider password</label> <input id="password" name="password" type="password"></p>
<p><button type="submit">Sign in to the provider</button></p></form>`;
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url === '/favicon.ico') {
    res.writeHead(204);
    res.end();
  } else if (req.url === '/__test/discovery' && req.method === 'POST') {
    let raw = '';
    req.on('data', (chunk) => { raw += chunk; });
    req.on('end', () => {
      discoveryOverrides = JSON.parse(raw || '{}');
      res.writeHead(204);
      res.end();
    });
  } else if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => page(res, 400, `<p role="alert">${escape(err.message)}</p>`));
  } else {
    callback(req, res);
  }
});

// Whoever started the provider may stop reading its output once it knows the issuer.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
console.log(`ISSUER ${issuer}`);
