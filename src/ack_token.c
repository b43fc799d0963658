/* ack_token.c - signed acknowledgement links: HMAC-SHA256 (OpenSSL) over a
 * small text payload, base64url both (OpenSSL's base64 with the URL
 * alphabet, no padding), constant-time comparison (CRYPTO_memcmp), keys from
 * a mode-600 file or a systemd credential. */
#include "ack_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAC_LEN 32
#define PAYLOAD_MAX 96

/* ---- keys ---- */

static int read_all(int fd, char *buf, size_t n, const char *file, struct err *e)
{
	size_t got = 0;
	ssize_t r;

	while ((r = read(fd, buf + got, n - 1 - got)) > 0)
		got += (size_t)r;
	if (r < 0)
		return err_set(e, ERR_IO, "%s: %s", file, strerror(errno));
	if (got == n - 1)
		return err_set(e, ERR_INVALID, "%s: too long for a key file", file);
	buf[got] = '\0';
	return 0;
}

static int parse_keys(char *text, const char *file, struct ack_keys *k, struct err *e)
{
	int line = 0;

	for (char *s = text, *nl; s && *s; s = nl) {
		size_t len;

		nl = strchr(s, '\n');
		if (nl)
			*nl++ = '\0';
		line++;
		len = strcspn(s, "\r");
		if (len == 0 || s[0] == '#')
			continue;
		if (len < ACK_KEY_MIN || len > ACK_KEY_MAX)
			return err_set(e, ERR_INVALID, "%s:%d: a key has %d to %d characters",
				       file, line, ACK_KEY_MIN, ACK_KEY_MAX);
		if (k->n == ACK_MAX_KEYS)
			return err_set(e, ERR_INVALID, "%s:%d: more than %d keys", file, line,
				       ACK_MAX_KEYS);
		memcpy(k->key[k->n], s, len);
		k->len[k->n++] = len;
	}
	if (k->n == 0)
		return err_set(e, ERR_INVALID, "%s: no key in the file", file);
	return 0;
}

int ack_keys_load(const char *path, struct ack_keys *k, struct err *e)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY"), *name = strrchr(path, '/');
	char file[4096], text[ACK_MAX_KEYS * (ACK_KEY_MAX + 2) + 1024];
	struct stat st;
	int fd, r, cred = 0;

	memset(k, 0, sizeof *k);
	name = name ? name + 1 : path;
	snprintf(file, sizeof file, "%s", path);
	if (dir && *dir && *name) {
		snprintf(file, sizeof file, "%s/%s", dir, name);
		cred = access(file, F_OK) == 0;
		if (!cred)
			snprintf(file, sizeof file, "%s", path);
	}
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, ERR_IO, "%s: cannot open the key file: %s", file,
			       strerror(errno));
	/* A credential is the service's alone (an ACL): no mode check there. */
	if (!cred && (fstat(fd, &st) < 0 || (st.st_mode & 077))) {
		close(fd);
		return err_set(e, ERR_INVALID,
			       "%s: the key file must not be readable by group or others "
			       "(chmod 600)", file);
	}
	r = read_all(fd, text, sizeof text, file, e);
	close(fd);
	if (r == 0)
		r = parse_keys(text, file, k, e);
	OPENSSL_cleanse(text, sizeof text);
	if (r < 0)
		ack_keys_clear(k);
	return r;
}

void ack_keys_clear(struct ack_keys *k)
{
	OPENSSL_cleanse(k, sizeof *k);
	k->n = 0;
}

/* ---- base64url ---- */

static void b64url(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

/* Decode n characters of base64url into out (room for max); the input must
 * be the canonical form (re-encoding gives it back). Returns the length or -1. */
static int unb64url(const char *in, size_t n, unsigned char *out, size_t max)
{
	char buf[256], again[256];
	size_t pad = (4 - n % 4) % 4;
	int len;

	if (n == 0 || n % 4 == 1 || n + pad >= sizeof buf || (n + pad) / 4 * 3 > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return -1;
		buf[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(buf + n, '=', pad);
	buf[n + pad] = '\0';
	len = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)(n + pad));
	if (len < 0)
		return -1;
	len -= (int)pad;
	b64url(out, (size_t)len, again);
	return strlen(again) == n && memcmp(again, in, n) == 0 ? len : -1;
}

/* ---- tokens ---- */

static int mac(const unsigned char *key, size_t klen, const char *domain, const char *data,
	       size_t n, unsigned char out[MAC_LEN])
{
	unsigned char buf[PAYLOAD_MAX + ACK_TOKEN_LEN + 16];
	unsigned int len = 0;
	size_t dl = strlen(domain);

	if (dl + n > sizeof buf)
		return -1;
	/* A domain tells a link's MAC from a form's: one is never the other. */
	memcpy(buf, domain, dl);
	memcpy(buf + dl, data, n);
	if (!HMAC(EVP_sha256(), key, (int)klen, buf, dl + n, out, &len) || len != MAC_LEN)
		return -1;
	return 0;
}

static int format_claim(const struct ack_claim *c, char *out, size_t n)
{
	int len;

	if (!c->kind[0] || strpbrk(c->kind, "|") || c->ref_id <= 0 || c->staff_id <= 0 ||
	    !c->actions[0] || strspn(c->actions, "rdb") != strlen(c->actions) || c->expires <= 0)
		return -1;
	len = snprintf(out, n, "1|%s:%lld|%lld|%s|%lld", c->kind, c->ref_id, c->staff_id,
		       c->actions, c->expires);
	return len > 0 && (size_t)len < n ? len : -1;
}

int ack_token_make(const struct ack_keys *k, const struct ack_claim *c, char *out, size_t n)
{
	char payload[PAYLOAD_MAX], p64[PAYLOAD_MAX * 2], m64[MAC_LEN * 2];
	unsigned char m[MAC_LEN];
	int len = format_claim(c, payload, sizeof payload);

	if (len < 0 || k->n == 0)
		return ERR_INVALID;
	b64url((const unsigned char *)payload, (size_t)len, p64);
	if (mac(k->key[k->n - 1], k->len[k->n - 1], "link|", p64, strlen(p64), m) < 0)
		return ERR_INVALID;
	b64url(m, MAC_LEN, m64);
	if ((size_t)snprintf(out, n, "%s.%s", p64, m64) >= n)
		return ERR_INVALID;
	return 0;
}

/* 0 when m is the MAC of data under one of the keys. */
static int mac_any(const struct ack_keys *k, const char *domain, const char *data, size_t n,
		   const unsigned char m[MAC_LEN])
{
	unsigned char want[MAC_LEN];
	int ok = 0;

	for (int i = 0; i < k->n; i++)
		if (mac(k->key[i], k->len[i], domain, data, n, want) == 0 &&
		    CRYPTO_memcmp(want, m, MAC_LEN) == 0)
			ok = 1;
	return ok ? 0 : ERR_INVALID;
}

static int parse_claim(const char *payload, struct ack_claim *c)
{
	char again[PAYLOAD_MAX];
	int used = 0;

	memset(c, 0, sizeof *c);
	if (sscanf(payload, "1|%11[a-z]:%lld|%lld|%3[rdb]|%lld%n", c->kind, &c->ref_id,
		   &c->staff_id, c->actions, &c->expires, &used) != 5 || payload[used])
		return -1;
	/* Only the canonical form: one text per claim. */
	if (format_claim(c, again, sizeof again) < 0 || strcmp(again, payload) != 0)
		return -1;
	return 0;
}

int ack_token_check(const struct ack_keys *k, const char *token, time_t now,
		    struct ack_claim *c)
{
	const char *dot = token ? strchr(token, '.') : NULL;
	unsigned char m[MAC_LEN + 3], payload[PAYLOAD_MAX + 3];
	int plen;

	memset(c, 0, sizeof *c);
	if (!dot || strlen(token) >= ACK_TOKEN_LEN)
		return ERR_INVALID;
	if (unb64url(dot + 1, strlen(dot + 1), m, sizeof m) != MAC_LEN)
		return ERR_INVALID;
	if (mac_any(k, "link|", token, (size_t)(dot - token), m) < 0)
		return ERR_INVALID;
	plen = unb64url(token, (size_t)(dot - token), payload, sizeof payload - 1);
	if (plen <= 0 || plen >= PAYLOAD_MAX)
		return ERR_INVALID;
	payload[plen] = '\0';
	if (parse_claim((const char *)payload, c) < 0 || c->expires <= (long long)now) {
		memset(c, 0, sizeof *c);
		return ERR_INVALID;
	}
	return 0;
}

/* The newest key's MAC over domain and data, base64url, into out. */
static int ack_csrf_make_domain(const struct ack_keys *k, const char *domain, const char *data,
				char *out, size_t n)
{
	unsigned char m[MAC_LEN];

	if (k->n == 0 || n < ACK_CSRF_LEN ||
	    mac(k->key[k->n - 1], k->len[k->n - 1], domain, data, strlen(data), m) < 0)
		return ERR_INVALID;
	b64url(m, MAC_LEN, out);
	return 0;
}

int ack_csrf_make(const struct ack_keys *k, const char *token, char *out, size_t n)
{
	return ack_csrf_make_domain(k, "form|", token, out, n);
}

int ack_csrf_check(const struct ack_keys *k, const char *token, const char *csrf)
{
	unsigned char m[MAC_LEN + 3];

	if (!csrf || unb64url(csrf, strlen(csrf), m, sizeof m) != MAC_LEN)
		return ERR_INVALID;
	return mac_any(k, "form|", token, strlen(token), m);
}

int ack_dlr_make(const struct ack_keys *k, long long id, char *out, size_t n)
{
	char num[24];

	snprintf(num, sizeof num, "%lld", id);
	return ack_csrf_make_domain(k, "dlr|", num, out, n);
}

int ack_dlr_check(const struct ack_keys *k, long long id, const char *mac)
{
	unsigned char m[MAC_LEN + 3];
	char num[24];

	snprintf(num, sizeof num, "%lld", id);
	if (!mac || unb64url(mac, strlen(mac), m, sizeof m) != MAC_LEN)
		return ERR_INVALID;
	return mac_any(k, "dlr|", num, strlen(num), m);
}

int ack_claim_offers(const struct ack_claim *c, char action)
{
	return action && strchr(c->actions, action) != NULL;
}
