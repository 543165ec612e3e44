// A real OpenID provider on loopback for the single sign-on tests: panva's oidc-provider,
// started by tests/oidc_provider.py. Not for anything but tests: its login pages (the
// library's devInteractions) take any password for a known login name.
//
//   node provider.mjs --client-id ID --client-secret SECRET --redirect-uri URI [--port N]
//
// Prints one line {"issuer": "http://127.0.0.1:PORT"} when it listens (port 0: a free one).

import crypto from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
  },
});
if (!args['client-id'] || !args['client-secret'] || !args['redirect-uri']) {
  console.error('usage: provider.mjs --client-id ID --client-secret SECRET --redirect-uri URI');
  process.exit(2);
}

// The people the identity provider knows. "okand" has no user in the app; "inaktiv" is a
// user the tests switch off. The account id is the login name typed on the sign-in page.
const ACCOUNTS = new Map(
  ['anna', 'omar', 'johan', 'erik', 'karin', 'admin', 'okand', 'inaktiv'].map((name) => [
    name,
    { name: name[0].toUpperCase() + name.slice(1), email: `${name}@kommun.example` },
  ]),
);

async function findAccount(_ctx, id) {
  const account = ACCOUNTS.get(id);
  if (!account) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, preferred_username: id, name: account.name, email: account.email };
    },
  };
}

// The app is a first-party client: no consent page, as a municipality's own IdP would do.
async function loadExistingGrant(ctx) {
  const { client, session } = ctx.oidc;
  const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
  if (grantId) return ctx.oidc.provider.Grant.find(grantId);
  const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope('openid profile email');
  await grant.save();
  return grant;
}

// The loopback redirect URIs make the client "native", and native clients are asked for
// consent on every login; a first-party app is not (see loadExistingGrant above).
const policy = interactionPolicy.base();
policy.get('consent').checks.remove('native_client_prompt');

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const server = http.createServer();
server.listen(Number(args.port), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: args['client-id'],
        client_secret: args['client-secret'],
        redirect_uris: args['redirect-uri'],
        // Native (RFC 8252) only so that a loopback redirect URI may carry any port:
        // the tests' live servers listen on free ports picked as they start.
        application_type: 'native',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: true } },
    findAccount,
    jwks: { keys: [signingKey] },
    interactions: { policy },
    loadExistingGrant,
    pkce: { required: () => true },
  });
  // The library's sign-in page imports a web font from the internet: the browser test must
  // not reach out, so the page may load nothing but what this server serves.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.response.is('html')) {
      ctx.set('Content-Security-Policy', "default-src 'self'; style-src 'unsafe-inline'; form-action *");
    }
  });
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
