// The OpenID Provider the OIDC tests sign in through: panva's certified `oidc-provider`, run on
// loopback with Node. Started by tests/oidc_provider.py, configured by a JSON file:
//
//   node op.mjs config.json
//   { "port": 4711, "issuer": "http://127.0.0.1:4711",
//     "keys": [<private JWK>, ...],              signing keys; the first one signs
//     "clients": [{client_id, client_secret, redirect_uris}],
//     "accounts": {"<login>": {<claims>}},       any password is accepted (development interactions)
//     "quirks": {"<login>": "wrong-audience" | "expired" | "bad-signature"} }
//
// Everything runs through oidc-provider unchanged (authorization endpoint, its login form, PKCE,
// the token endpoint, discovery, JWKS), except for the `quirks`: for those accounts the ID token
// the token endpoint has just issued is replaced before it leaves, the way a broken or hostile
// provider would answer: another audience, an expiry in the past (both signed with the real key),
// or a signature by a key the provider does not publish.
import { readFileSync } from 'node:fs';

import { CompactSign, generateKeyPair, importJWK } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;
const quirks = config.quirks || {};

const provider = new Provider(config.issuer, {
  clients: config.clients.map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: config.keys },
  pkce: { required: () => true },
  // Claims in the ID token itself (as DigiD brokers and Keycloak do), not only at userinfo.
  conformIdTokenClaims: false,
  scopes: ['openid', 'profile', 'email', 'roles', 'teams', 'bsn', 'kvk'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    roles: ['roles', 'groups'],
    teams: ['teams'],
    bsn: ['bsn'],
    kvk: ['kvk'],
  },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // First-party clients: no consent screen, every requested scope is granted.
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return Grant.find(grantId);
    const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
});
provider.proxy = false;

const b64 = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

async function tamper(idToken, quirk) {
  const [headerPart, payloadPart] = idToken.split('.');
  const header = b64(headerPart);
  const payload = b64(payloadPart);
  const now = Math.floor(Date.now() / 1000);
  let key = await importJWK(config.keys[0], header.alg);
  if (quirk === 'wrong-audience') {
    payload.aud = 'some-other-application';
    delete payload.azp;
  } else if (quirk === 'expired') {
    payload.iat = now - 3600;
    payload.exp = now - 1800;
  } else if (quirk === 'bad-signature') {
    key = (await generateKeyPair(header.alg)).privateKey; // same kid, another key
  } else {
    throw new Error(`unknown quirk ${quirk}`);
  }
  return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader(header).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body && ctx.body.id_token) {
    const quirk = quirks[b64(ctx.body.id_token.split('.')[1]).sub];
    if (quirk) ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, quirk) };
  }
});

provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${config.issuer}\n`);
});
