/*
 * sasl.c — SASL client mechanisms: PLAIN (RFC 4616), LOGIN
 * (draft-murchison-sasl-login-00), CRAM-MD5 (RFC 2195), SCRAM-SHA-256
 * (RFC 5802, RFC 7677), XOAUTH2 and OAUTHBEARER (RFC 7628), all as
 * base64 for SMTP AUTH (RFC 4954 section 4).
 *
 * Secrets pass through as few buffers as possible and each is wiped
 * before it is freed.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <vis.h>

#include "encode.h"
#include "sasl.h"
#include "xmalloc.h"

/* RFC 4616 section 2: authcid and passwd are at most 255 octets each. */
#define SASL_PLAIN_FIELD_MAX 255

char *
sasl_plain(const char *user, const char *password)
{
	size_t ulen, plen, len;
	char *raw, *b64;

	if (user == NULL || password == NULL)
		return NULL;
	ulen = strlen(user);
	plen = strlen(password);
	if (ulen > SASL_PLAIN_FIELD_MAX || plen > SASL_PLAIN_FIELD_MAX)
		return NULL;
	/* [authzid] NUL authcid NUL passwd, authzid left empty. */
	len = 1 + ulen + 1 + plen;
	raw = xmalloc(len);
	raw[0] = '\0';
	memcpy(raw + 1, user, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, password, plen);
	b64 = encode_base64_buf(raw, len);
	freezero(raw, len);
	return b64;
}

char *
sasl_login(const char *text)
{
	if (text == NULL)
		return NULL;
	return encode_base64_buf(text, strlen(text));
}

char *
sasl_cram_md5(const char *user, const char *password, const char *challenge)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *chal, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t chlen, ulen, rlen;
	char *resp, *b64;

	if (user == NULL || password == NULL || challenge == NULL)
		return NULL;
	chal = encode_base64_decode(challenge, strlen(challenge), &chlen);
	if (chal == NULL)
		return NULL;
	if (chlen == 0) {
		free(chal);
		return NULL;
	}
	if (HMAC(EVP_md5(), password, (int)strlen(password), chal, chlen, md,
	    &mdlen) == NULL) {
		free(chal);
		return NULL;
	}
	free(chal);
	ulen = strlen(user);
	rlen = ulen + 1 + 2 * (size_t)mdlen;
	resp = xmalloc(rlen + 1);
	memcpy(resp, user, ulen);
	resp[ulen] = ' ';
	for (i = 0; i < mdlen; i++) {
		resp[ulen + 1 + 2 * i] = hex[md[i] >> 4];
		resp[ulen + 2 + 2 * i] = hex[md[i] & 0x0f];
	}
	resp[rlen] = '\0';
	explicit_bzero(md, sizeof(md));
	b64 = encode_base64_buf(resp, rlen);
	freezero(resp, rlen + 1);
	return b64;
}

/*
 * SCRAM-SHA-256 and the OAuth mechanisms
 */

/* Our nonce: 18 random bytes are 24 base64 characters, no padding. */
#define SASL_SCRAM_NONCE_BYTES 18
/* "c=" + base64("n,,"): no channel binding (RFC 5802 7). */
#define SASL_SCRAM_CBIND "c=biws"

/* 1 when s holds a control character (framing bytes of the OAuth forms). */
static int
sasl_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* RFC 5802 5.1 saslname: "=" as "=3D", "," as "=2C".  Caller frees. */
static char *
sasl_saslname(const char *user)
{
	size_t n = 0, o = 0;
	const char *p;
	char *out;

	for (p = user; *p != '\0'; p++)
		n += (*p == '=' || *p == ',') ? 3 : 1;
	out = xmalloc(n + 1);
	for (p = user; *p != '\0'; p++) {
		if (*p == '=' || *p == ',') {
			memcpy(out + o, *p == '=' ? "=3D" : "=2C", 3);
			o += 3;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

/* HMAC-SHA-256 into out (SASL_SCRAM_KEY_LEN bytes).  0 or -1. */
static int
sasl_hmac256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char *out)
{
	unsigned int mdlen = 0;

	if (keylen > INT_MAX || HMAC(EVP_sha256(), key, (int)keylen, data, len,
	    out, &mdlen) == NULL || mdlen != SASL_SCRAM_KEY_LEN)
		return -1;
	return 0;
}

/* Decodes base64 text that must hold no NUL.  NULL if invalid. */
static char *
sasl_decode_text(const char *b64, size_t *lenp)
{
	unsigned char *raw;
	size_t len;

	if (b64 == NULL ||
	    (raw = encode_base64_decode(b64, strlen(b64), &len)) == NULL)
		return NULL;
	if (strlen((char *)raw) != len) {
		freezero(raw, len + 1);
		return NULL;
	}
	*lenp = len;
	return (char *)raw;
}

void
sasl_scram_init(struct sasl_scram *sc)
{
	memset(sc, 0, sizeof(*sc));
}

void
sasl_scram_clear(struct sasl_scram *sc)
{
	if (sc->client_first_bare != NULL)
		freezero(sc->client_first_bare,
		    strlen(sc->client_first_bare) + 1);
	explicit_bzero(sc, sizeof(*sc));
}

char *
sasl_scram_first(struct sasl_scram *sc, const char *user, const char *nonce)
{
	unsigned char rnd[SASL_SCRAM_NONCE_BYTES];
	char *name, *b64, *msg;
	const char *p;
	size_t len;

	if (user == NULL || *user == '\0')
		return NULL;
	sasl_scram_clear(sc);
	if (nonce == NULL) {
		arc4random_buf(rnd, sizeof(rnd));
		b64 = encode_base64_buf(rnd, sizeof(rnd));
		explicit_bzero(rnd, sizeof(rnd));
		strlcpy(sc->nonce, b64, sizeof(sc->nonce));
		free(b64);
	} else {
		/* RFC 5802 7: printable ASCII except ",". */
		if (*nonce == '\0' ||
		    strlen(nonce) > SASL_SCRAM_NONCE_MAX)
			return NULL;
		for (p = nonce; *p != '\0'; p++)
			if (*p < 0x21 || *p > 0x7e || *p == ',')
				return NULL;
		strlcpy(sc->nonce, nonce, sizeof(sc->nonce));
	}
	/*
	 * RFC 5802 5.1 asks for SASLprep (RFC 4013) of the user name; we
	 * send it as given (UTF-8), escaped.  See sasl_scram_final().
	 */
	name = sasl_saslname(user);
	sc->client_first_bare = xasprintf("n=%s,r=%s", name, sc->nonce);
	free(name);
	msg = xasprintf("n,,%s", sc->client_first_bare);
	len = strlen(msg);
	b64 = encode_base64_buf(msg, len);
	free(msg);
	return b64;
}

/*
 * Splits "r=...,s=...,i=..." (RFC 5802 7, server-first-message) into
 * pointers into msg, which is cut at the commas.  -1 when malformed or
 * when the server requires an extension (m=) we do not know.
 */
static int
sasl_scram_parse_first(char *msg, char **r, char **s, char **i)
{
	char *f[3], *p = msg;
	static const char keys[] = "rsi";
	int k;

	for (k = 0; k < 3; k++) {
		if (p == NULL || p[0] != keys[k] || p[1] != '=')
			return -1;
		f[k] = p + 2;
		if ((p = strchr(p, ',')) != NULL)
			*p++ = '\0';
	}
	/* Anything after i= is an optional extension: ignored (RFC 5802 7). */
	*r = f[0];
	*s = f[1];
	*i = f[2];
	return 0;
}

/*
 * ClientProof and ServerSignature from SaltedPassword and AuthMessage
 * (RFC 5802 3).  Wipes every intermediate key.  0 or -1.
 */
static int
sasl_scram_proof(struct sasl_scram *sc, const unsigned char *salted,
    const char *authmsg, unsigned char *proof)
{
	unsigned char ckey[SASL_SCRAM_KEY_LEN], skey[SASL_SCRAM_KEY_LEN];
	unsigned char stored[SASL_SCRAM_KEY_LEN], csig[SASL_SCRAM_KEY_LEN];
	unsigned int mdlen = 0;
	size_t alen = strlen(authmsg), k;
	int rc = -1;

	if (sasl_hmac256(salted, SASL_SCRAM_KEY_LEN, "Client Key", 10,
	    ckey) == -1 ||
	    EVP_Digest(ckey, sizeof(ckey), stored, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != SASL_SCRAM_KEY_LEN ||
	    sasl_hmac256(stored, sizeof(stored), authmsg, alen, csig) == -1 ||
	    sasl_hmac256(salted, SASL_SCRAM_KEY_LEN, "Server Key", 10,
	    skey) == -1 ||
	    sasl_hmac256(skey, sizeof(skey), authmsg, alen,
	    sc->server_sig) == -1)
		goto out;
	for (k = 0; k < SASL_SCRAM_KEY_LEN; k++)
		proof[k] = ckey[k] ^ csig[k];
	rc = 0;
out:
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(skey, sizeof(skey));
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(csig, sizeof(csig));
	return rc;
}

char *
sasl_scram_final(struct sasl_scram *sc, const char *password,
    const char *server_first)
{
	unsigned char salted[SASL_SCRAM_KEY_LEN], proof[SASL_SCRAM_KEY_LEN];
	unsigned char *salt = NULL;
	char *sf = NULL, *copy = NULL, *r, *s, *i, *bare = NULL;
	char *authmsg = NULL, *p64 = NULL, *final = NULL, *b64 = NULL;
	const char *errstr;
	size_t sflen, saltlen, nlen;
	long long iter;

	sc->have_sig = 0;
	if (sc->client_first_bare == NULL || password == NULL ||
	    (sf = sasl_decode_text(server_first, &sflen)) == NULL)
		return NULL;
	copy = xstrdup(sf);
	if (sasl_scram_parse_first(copy, &r, &s, &i) == -1)
		goto out;
	/* The server's nonce extends ours (RFC 5802 5.1, "r="). */
	nlen = strlen(sc->nonce);
	if (strncmp(r, sc->nonce, nlen) != 0 || r[nlen] == '\0')
		goto out;
	salt = encode_base64_decode(s, strlen(s), &saltlen);
	if (salt == NULL || saltlen == 0)
		goto out;
	iter = strtonum(i, SASL_SCRAM_ITER_MIN, SASL_SCRAM_ITER_MAX, &errstr);
	if (errstr != NULL)
		goto out;
	/*
	 * Deviation: RFC 5802 5.1 wants the password SASLprep'd (RFC 4013).
	 * ASCII passwords are unchanged by it; other passwords are used as
	 * the UTF-8 bytes given, which matches servers that store them
	 * unnormalised (most) and fails only where SASLprep would change
	 * them (e.g. non-NFKC input, mapped-to-nothing characters).
	 */
	if (strlen(password) > INT_MAX || saltlen > INT_MAX ||
	    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
	    (int)saltlen, (int)iter, EVP_sha256(), sizeof(salted),
	    salted) != 1)
		goto out;
	bare = xasprintf("%s,r=%s", SASL_SCRAM_CBIND, r);
	authmsg = xasprintf("%s,%s,%s", sc->client_first_bare, sf, bare);
	if (sasl_scram_proof(sc, salted, authmsg, proof) == -1)
		goto out;
	p64 = encode_base64_buf(proof, sizeof(proof));
	final = xasprintf("%s,p=%s", bare, p64);
	b64 = encode_base64_buf(final, strlen(final));
	sc->have_sig = 1;
out:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(proof, sizeof(proof));
	free(salt);
	free(sf);
	free(copy);
	free(bare);
	free(authmsg);
	if (p64 != NULL)
		freezero(p64, strlen(p64) + 1);
	if (final != NULL)
		freezero(final, strlen(final) + 1);
	return b64;
}

int
sasl_scram_verify(struct sasl_scram *sc, const char *server_final)
{
	unsigned char *v = NULL;
	char *msg, *end;
	size_t len, vlen = 0;
	int rc = -1;

	if (!sc->have_sig ||
	    (msg = sasl_decode_text(server_final, &len)) == NULL)
		return -1;
	/* RFC 5802 7: server-final-message = (server-error / verifier). */
	if (strncmp(msg, "e=", 2) == 0) {
		end = msg + 2 + strcspn(msg + 2, ",");
		*end = '\0';
		strlcpy(sc->error, msg + 2, sizeof(sc->error));
	} else if (strncmp(msg, "v=", 2) == 0) {
		end = msg + 2 + strcspn(msg + 2, ",");
		*end = '\0';
		v = encode_base64_decode(msg + 2, strlen(msg + 2), &vlen);
		if (v != NULL && vlen == SASL_SCRAM_KEY_LEN &&
		    CRYPTO_memcmp(v, sc->server_sig, vlen) == 0)
			rc = 0;
	}
	free(v);
	free(msg);
	return rc;
}

char *
sasl_xoauth2(const char *user, const char *token)
{
	char *raw, *b64;
	size_t len;

	if (user == NULL || token == NULL || sasl_has_ctl(user) ||
	    sasl_has_ctl(token))
		return NULL;
	raw = xasprintf("user=%s\1auth=Bearer %s\1\1", user, token);
	len = strlen(raw);
	b64 = encode_base64_buf(raw, len);
	freezero(raw, len + 1);
	return b64;
}

char *
sasl_oauthbearer(const char *user, const char *host, const char *port,
    const char *token)
{
	char *raw, *b64, *name;
	size_t len;

	if (user == NULL || host == NULL || port == NULL || token == NULL ||
	    sasl_has_ctl(user) || sasl_has_ctl(host) || sasl_has_ctl(port) ||
	    sasl_has_ctl(token))
		return NULL;
	/* RFC 7628 3.1: gs2-header with a= (saslname), then kvpairs. */
	name = sasl_saslname(user);
	raw = xasprintf("n,a=%s,\1host=%s\1port=%s\1auth=Bearer %s\1\1",
	    name, host, port, token);
	len = strlen(raw);
	free(name);
	b64 = encode_base64_buf(raw, len);
	freezero(raw, len + 1);
	return b64;
}

const char *
sasl_mech_name(enum sasl_mech mech)
{
	switch (mech) {
	case SASL_PLAIN:
		return "PLAIN";
	case SASL_LOGIN:
		return "LOGIN";
	case SASL_CRAM_MD5:
		return "CRAM-MD5";
	case SASL_SCRAM_SHA_256:
		return "SCRAM-SHA-256";
	case SASL_XOAUTH2:
		return "XOAUTH2";
	case SASL_OAUTHBEARER:
		return "OAUTHBEARER";
	case SASL_NONE:
		break;
	}
	return "none";
}

int
sasl_mech_offered(const char *offered, enum sasl_mech mech)
{
	const char *name, *p, *w;
	size_t nlen;

	if (offered == NULL || mech == SASL_NONE)
		return 0;
	name = sasl_mech_name(mech);
	nlen = strlen(name);
	for (p = offered; *p != '\0'; ) {
		while (*p == ' ')
			p++;
		w = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if ((size_t)(p - w) == nlen && strncasecmp(w, name, nlen) == 0)
			return 1;
	}
	return 0;
}

enum sasl_mech
sasl_mech_choose(const char *offered, int tls)
{
	static const enum sasl_mech over_tls[] = {
		SASL_SCRAM_SHA_256, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5
	};
	size_t i;

	if (!tls) {
		if (sasl_mech_offered(offered, SASL_SCRAM_SHA_256))
			return SASL_SCRAM_SHA_256;
		return sasl_mech_offered(offered, SASL_CRAM_MD5) ?
		    SASL_CRAM_MD5 : SASL_NONE;
	}
	for (i = 0; i < sizeof(over_tls) / sizeof(over_tls[0]); i++) {
		if (sasl_mech_offered(offered, over_tls[i]))
			return over_tls[i];
	}
	return SASL_NONE;
}

/*
 * The step API
 */

/*
 * CRAM-MD5 and the OAuth error take one challenge, LOGIN and SCRAM two:
 * more is a confused server.
 */
#define SASL_STEPS_MAX 3

struct sasl_exchange {
	enum sasl_mech mech;
	struct sasl_creds creds;	/* borrowed */
	int steps;			/* challenges answered */
	struct sasl_scram scram;
	int verified;			/* SCRAM: the server proved itself */
};

struct sasl_exchange *
sasl_start(enum sasl_mech mech, const struct sasl_creds *creds,
    char **initial, struct failure *f)
{
	return sasl_start_nonce(mech, creds, NULL, initial, f);
}

struct sasl_exchange *
sasl_start_nonce(enum sasl_mech mech, const struct sasl_creds *creds,
    const char *nonce, char **initial, struct failure *f)
{
	struct sasl_exchange *x;
	char *ir = NULL;

	*initial = NULL;
	x = xcalloc(1, sizeof(*x));
	x->mech = mech;
	x->creds = *creds;
	sasl_scram_init(&x->scram);
	switch (mech) {
	case SASL_PLAIN:
		ir = sasl_plain(creds->user, creds->secret);
		break;
	case SASL_LOGIN:
		ir = sasl_login(creds->user);
		break;
	case SASL_SCRAM_SHA_256:
		ir = sasl_scram_first(&x->scram, creds->user, nonce);
		break;
	case SASL_XOAUTH2:
		ir = sasl_xoauth2(creds->user, creds->secret);
		break;
	case SASL_OAUTHBEARER:
		ir = sasl_oauthbearer(creds->user, creds->host, creds->port,
		    creds->secret);
		break;
	case SASL_CRAM_MD5:
		/* The server speaks first (RFC 2195). */
		return x;
	case SASL_NONE:
		sasl_end(x);
		failure_set(f, F_INTERNAL, "no mechanism");
		return NULL;
	}
	if (ir == NULL) {
		sasl_end(x);
		failure_set(f, F_CONFIG, "user name or password too long, or "
		    "holds a control character");
		return NULL;
	}
	*initial = ir;
	return x;
}

/* Our verdict on a SCRAM challenge, with the server's e= when it sent one. */
static int
sasl_scram_refuse(struct sasl_exchange *x, const char *what,
    struct failure *f)
{
	char e[SASL_SCRAM_ERROR_MAX * 4 + 1];

	if (x->scram.error[0] == '\0')
		return failure_set(f, F_AUTH, "%s", what);
	strnvis(e, x->scram.error, sizeof(e), VIS_SAFE | VIS_NL | VIS_CSTYLE |
	    VIS_OCTAL);
	return failure_set(f, F_AUTH, "%s: e=%s", what, e);
}

/*
 * SCRAM's challenges (RFC 5802 5): server-first gets the client-final;
 * server-final must carry the signature we expect, and gets an empty
 * response (RFC 4954 4: SMTP has no "additional data with success").
 */
static int
sasl_scram_step(struct sasl_exchange *x, const char *challenge,
    char **response, int *cancel, struct failure *f)
{
	if (x->steps == 1) {
		*response = sasl_scram_final(&x->scram, x->creds.secret,
		    challenge);
		if (*response != NULL)
			return 0;
		*cancel = 1;
		return sasl_scram_refuse(x, "invalid SCRAM challenge (nonce, "
		    "salt or iteration count)", f);
	}
	if (x->steps == 2) {
		if (sasl_scram_verify(&x->scram, challenge) == 0) {
			x->verified = 1;
			*response = xstrdup("");
			return 0;
		}
		*cancel = 1;
		if (x->scram.error[0] != '\0')
			return sasl_scram_refuse(x, "the server reported a "
			    "SCRAM error", f);
		return sasl_scram_refuse(x, "the server's SCRAM signature is "
		    "wrong: it does not know the password", f);
	}
	*cancel = 1;
	return 0;
}

int
sasl_step(struct sasl_exchange *x, const char *challenge, char **response,
    int *cancel, struct failure *f)
{
	*response = NULL;
	*cancel = 0;
	if (challenge == NULL)
		challenge = "";
	if (x->mech == SASL_PLAIN || ++x->steps > SASL_STEPS_MAX)
		return failure_set(f, F_PROTO, "%s: unexpected challenge",
		    sasl_mech_name(x->mech));
	switch (x->mech) {
	case SASL_LOGIN:
		*response = sasl_login(x->creds.secret);
		break;
	case SASL_CRAM_MD5:
		*response = sasl_cram_md5(x->creds.user, x->creds.secret,
		    challenge);
		break;
	case SASL_SCRAM_SHA_256:
		return sasl_scram_step(x, challenge, response, cancel, f);
	case SASL_XOAUTH2:
		/* A JSON error in base64: an empty line, then the refusal. */
		if (x->steps == 1)
			*response = xstrdup("");
		break;
	case SASL_OAUTHBEARER:
		/* RFC 7628 3.2.3: a lone %x01 ends a failed exchange. */
		if (x->steps == 1)
			*response = xstrdup("AQ==");
		break;
	default:
		break;
	}
	if (*response == NULL)
		*cancel = 1;
	return 0;
}

int
sasl_finish(struct sasl_exchange *x, const char *success_data,
    struct failure *f)
{
	/* SCRAM authenticates the server too (RFC 5802 9). */
	if (x->mech != SASL_SCRAM_SHA_256 || x->verified)
		return 0;
	if (x->scram.have_sig && success_data != NULL &&
	    sasl_scram_verify(&x->scram, success_data) == 0) {
		x->verified = 1;
		return 0;
	}
	return sasl_scram_refuse(x, "the server accepted without proving it "
	    "knows the password (no valid SCRAM signature)", f);
}

void
sasl_end(struct sasl_exchange *x)
{
	if (x == NULL)
		return;
	sasl_scram_clear(&x->scram);
	freezero(x, sizeof(*x));
}
