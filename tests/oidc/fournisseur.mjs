// Fournisseur OpenID Connect local qui se comporte comme ProConnect, pour les tests de PVD Suivi.
//
// Mêmes chemins que ProConnect (/authorize, /token, /userinfo, /jwks, /session/end), userinfo signé
// (application/jwt), ID token RS256, client authentifié par client_secret_post, consentement implicite.
// La page de connexion accepte toute adresse électronique avec le mot de passe MOT_DE_PASSE ; les
// claims renvoyés sont ceux d'un agent : email (tel que saisi), given_name, usual_name, uid, siret.
//
// Variables : PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, MOT_DE_PASSE.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const env = (nom) => {
  if (!process.env[nom]) throw new Error(`variable ${nom} manquante`);
  return process.env[nom];
};
const port = Number(env('PORT'));
const issuer = `http://127.0.0.1:${port}`;
const motDePasse = env('MOT_DE_PASSE');

const echapper = (texte) => String(texte).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (titre, corps) => `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>${echapper(titre)}</title></head>
<body><main><h1>${echapper(titre)}</h1>${corps}</main></body></html>`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const cleDeSignature = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const comptes = new Map(); // sub → adresse saisie à la connexion
const identite = (email) => ({
  sub: crypto.createHash('sha256').update(email.toLowerCase()).digest('hex'),
  email,
  given_name: 'Agent',
  usual_name: 'De Test',
  uid: email.toLowerCase(),
  siret: '11000601200010',
});

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    post_logout_redirect_uris: [env('POST_LOGOUT_REDIRECT_URI')],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
    userinfo_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [cleDeSignature] },
  routes: {
    authorization: '/authorize',
    token: '/token',
    userinfo: '/userinfo',
    jwks: '/jwks',
    end_session: '/session/end',
  },
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret'],
  claims: {
    openid: ['sub'],
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    uid: ['uid'],
    siret: ['siret'],
  },
  acrValues: ['eidas1'],
  pkce: { required: () => false },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Se déconnecter de ProConnect (test)', `${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Oui, me déconnecter</button>
          <button type="submit" form="op.logoutForm">Non, rester connecté</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Déconnecté de ProConnect (test)', '<p>Vous êtes déconnecté.</p>');
      },
    },
  },
  async findAccount(ctx, sub) {
    const email = comptes.get(sub);
    if (!email) return undefined;
    return { accountId: sub, claims: async () => identite(email) };
  },
  // Comme ProConnect : pas d'écran de consentement, l'accès est accordé au service partenaire.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email given_name usual_name uid siret');
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Erreur du fournisseur d’identité (test)',
      Object.entries(out).map(([cle, valeur]) => `<p>${echapper(cle)} : ${echapper(valeur)}</p>`).join(''));
  },
});

const formulaire = (uid, erreur = '', email = '') => page('Fournisseur d’identité de test', `
  ${erreur ? `<p role="alert">${echapper(erreur)}</p>` : ''}
  <form method="post" action="/interaction/${echapper(uid)}">
    <label for="email">Adresse électronique</label>
    <input id="email" name="email" type="email" required value="${echapper(email)}">
    <label for="motdepasse">Mot de passe</label>
    <input id="motdepasse" name="motdepasse" type="password" required>
    <button type="submit">Se connecter</button>
  </form>`);

const lireFormulaire = (req) => new Promise((resolve, reject) => {
  let corps = '';
  req.on('data', (morceau) => { corps += morceau; });
  req.on('end', () => resolve(new URLSearchParams(corps)));
  req.on('error', reject);
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    // Consentement : accordé d'office (voir loadExistingGrant).
    await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    return;
  }
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  if (req.method === 'GET') {
    res.end(formulaire(details.uid));
    return;
  }
  const donnees = await lireFormulaire(req);
  const email = (donnees.get('email') || '').trim();
  if (!email || donnees.get('motdepasse') !== motDePasse) {
    res.statusCode = 401;
    res.end(formulaire(details.uid, 'Adresse ou mot de passe incorrect.', email));
    return;
  }
  const { sub } = identite(email);
  comptes.set(sub, email);
  await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((erreur) => {
      console.error(erreur);
      res.statusCode = 500;
      res.end(page('Erreur du fournisseur d’identité (test)', `<p>${echapper(erreur.message)}</p>`));
    });
  } else {
    callback(req, res);
  }
}).listen(port, '127.0.0.1', () => {
  console.log(`Fournisseur OIDC de test prêt : ${issuer}`);
});
