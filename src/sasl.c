/*
 * sasl.c — SASL client mechanisms: PLAIN (RFC 4616), LOGIN
 * (draft-murchison-sasl-login-00) and CRAM-MD5 (RFC 2195), all as
 * base64 for SMTP AUTH (RFC 4954 section 4).
 *
 * Secrets pass through as few buffers as possible and each is wiped
 * before it is freed.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

const char *
sasl_name(enum config_auth mech)
{
	switch (mech) {
	case AUTH_PLAIN:
		return "PLAIN";
	case AUTH_LOGIN:
		return "LOGIN";
	case AUTH_CRAM_MD5:
		return "CRAM-MD5";
	case AUTH_SCRAM_SHA_256:
		return "SCRAM-SHA-256";
	case AUTH_XOAUTH2:
		return "XOAUTH2";
	case AUTH_OAUTHBEARER:
		return "OAUTHBEARER";
	case AUTH_AUTO:
	case AUTH_NONE:
		break;
	}
	return "none";
}

int
sasl_offered(const char *offered, enum config_auth mech)
{
	const char *name, *p, *w;
	size_t nlen;

	if (offered == NULL || mech == AUTH_AUTO || mech == AUTH_NONE)
		return 0;
	name = sasl_name(mech);
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

enum config_auth
sasl_choose(const char *offered, int tls)
{
	static const enum config_auth over_tls[] = {
		AUTH_PLAIN, AUTH_LOGIN, AUTH_CRAM_MD5
	};
	size_t i;

	if (!tls)
		return sasl_offered(offered, AUTH_CRAM_MD5) ? AUTH_CRAM_MD5 :
		    AUTH_NONE;
	for (i = 0; i < sizeof(over_tls) / sizeof(over_tls[0]); i++) {
		if (sasl_offered(offered, over_tls[i]))
			return over_tls[i];
	}
	return AUTH_NONE;
}
