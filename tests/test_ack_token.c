/* test_ack_token.c - acknowledgement links: a token made is accepted until
 * it expires; a changed payload, a changed or foreign MAC, a non-canonical
 * encoding and another key are refused; rotation signs with the newest key
 * and accepts the older; the CSRF value is bound to its link; key files
 * need mode 600 unless they come as a systemd credential. */
#include "testutil.h"

#include <sys/stat.h>

#include "ack_token.h"

#define KEY_OLD "old-key-0123456789abcdef0123456789abcdef"
#define KEY_NEW "new-key-fedcba9876543210fedcba9876543210"

static void keys_of(struct ack_keys *k, const char *text)
{
	char *dir = tu_mkdtemp(), *file = tu_write(dir, "ack.keys", text);
	struct err e = { 0 };

	assert_int_equal(chmod(file, 0600), 0);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(ack_keys_load(file, k, &e), 0);
	free(file);
	tu_rmdir(dir);
}

static const struct ack_claim claim = { "followup", 12, 5, "rd", 2000000000 };

static void token_made_is_accepted_until_it_expires(void **state)
{
	struct ack_keys k;
	struct ack_claim c;
	char t[ACK_TOKEN_LEN];

	(void)state;
	keys_of(&k, KEY_NEW "\n");
	assert_int_equal(ack_token_make(&k, &claim, t, sizeof t), 0);
	assert_null(strpbrk(t, "+/=")); /* base64url, no padding */
	assert_int_equal(ack_token_check(&k, t, 1999999999, &c), 0);
	assert_string_equal(c.kind, "followup");
	assert_int_equal(c.ref_id, 12);
	assert_int_equal(c.staff_id, 5);
	assert_string_equal(c.actions, "rd");
	assert_true(ack_claim_offers(&c, ACK_DONE));
	assert_false(ack_claim_offers(&c, ACK_BOOKED));
	assert_int_equal(ack_token_check(&k, t, 2000000000, &c), ERR_INVALID);
	assert_int_equal(c.ref_id, 0);
}

static void altered_or_forged_tokens_are_refused(void **state)
{
	struct ack_keys k, other;
	struct ack_claim c, c2 = claim;
	char t[ACK_TOKEN_LEN], t2[ACK_TOKEN_LEN], bad[ACK_TOKEN_LEN * 2];
	char *dot;

	(void)state;
	keys_of(&k, KEY_NEW "\n");
	keys_of(&other, KEY_OLD "\n");
	assert_int_equal(ack_token_make(&k, &claim, t, sizeof t), 0);
	c2.staff_id = 6; /* another recipient */
	assert_int_equal(ack_token_make(&k, &c2, t2, sizeof t2), 0);
	/* Another recipient's payload with this MAC, and the other way round. */
	dot = strchr(t, '.');
	snprintf(bad, sizeof bad, "%.*s%s", (int)(strchr(t2, '.') - t2), t2, dot);
	assert_int_equal(ack_token_check(&k, bad, 0, &c), ERR_INVALID);
	/* One character of the payload or the MAC changed. */
	snprintf(bad, sizeof bad, "%s", t);
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	assert_int_equal(ack_token_check(&k, bad, 0, &c), ERR_INVALID);
	snprintf(bad, sizeof bad, "%s", t);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(ack_token_check(&k, bad, 0, &c), ERR_INVALID);
	/* Signed with a key that is not ours. */
	assert_int_equal(ack_token_check(&other, t, 0, &c), ERR_INVALID);
	/* Malformed: no dot, empty parts, padding, stray characters. */
	assert_int_equal(ack_token_check(&k, "abc", 0, &c), ERR_INVALID);
	assert_int_equal(ack_token_check(&k, ".", 0, &c), ERR_INVALID);
	snprintf(bad, sizeof bad, "%s=", t);
	assert_int_equal(ack_token_check(&k, bad, 0, &c), ERR_INVALID);
	snprintf(bad, sizeof bad, "%s/", t);
	assert_int_equal(ack_token_check(&k, bad, 0, &c), ERR_INVALID);
	assert_int_equal(ack_token_check(&k, "", 0, &c), ERR_INVALID);
}

static void rotation_signs_with_newest_and_accepts_older(void **state)
{
	struct ack_keys old, both, fresh;
	struct ack_claim c;
	char t_old[ACK_TOKEN_LEN], t_new[ACK_TOKEN_LEN], t_fresh[ACK_TOKEN_LEN];

	(void)state;
	keys_of(&old, KEY_OLD "\n");
	keys_of(&both, "# rotated 2026-08\n" KEY_OLD "\n\n" KEY_NEW "\n");
	keys_of(&fresh, KEY_NEW "\n");
	assert_int_equal(both.n, 2);
	assert_int_equal(ack_token_make(&old, &claim, t_old, sizeof t_old), 0);
	assert_int_equal(ack_token_make(&both, &claim, t_new, sizeof t_new), 0);
	assert_int_equal(ack_token_make(&fresh, &claim, t_fresh, sizeof t_fresh), 0);
	assert_string_not_equal(t_old, t_new);
	assert_string_equal(t_new, t_fresh); /* the newest key signs */
	assert_int_equal(ack_token_check(&both, t_old, 0, &c), 0);
	assert_int_equal(ack_token_check(&both, t_new, 0, &c), 0);
	/* Once the old key is dropped, its links end. */
	assert_int_equal(ack_token_check(&fresh, t_old, 0, &c), ERR_INVALID);
}

static void csrf_is_bound_to_its_link(void **state)
{
	struct ack_keys k;
	struct ack_claim c2 = claim;
	char t[ACK_TOKEN_LEN], t2[ACK_TOKEN_LEN], cs[ACK_CSRF_LEN], cs2[ACK_CSRF_LEN];

	(void)state;
	keys_of(&k, KEY_NEW "\n");
	c2.ref_id = 13;
	assert_int_equal(ack_token_make(&k, &claim, t, sizeof t), 0);
	assert_int_equal(ack_token_make(&k, &c2, t2, sizeof t2), 0);
	assert_int_equal(ack_csrf_make(&k, t, cs, sizeof cs), 0);
	assert_int_equal(ack_csrf_make(&k, t2, cs2, sizeof cs2), 0);
	assert_int_equal(ack_csrf_check(&k, t, cs), 0);
	assert_int_equal(ack_csrf_check(&k, t, cs2), ERR_INVALID);
	assert_int_equal(ack_csrf_check(&k, t, ""), ERR_INVALID);
	assert_int_equal(ack_csrf_check(&k, t, NULL), ERR_INVALID);
	/* A link's MAC is not a form's value, nor the other way round. */
	assert_int_equal(ack_csrf_check(&k, t, strchr(t, '.') + 1), ERR_INVALID);
}

static void key_files_mode_and_credentials(void **state)
{
	char *dir = tu_mkdtemp(), *cdir = tu_mkdtemp(), *file, *cred;
	struct ack_keys k;
	struct err e = { 0 };

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	file = tu_write(dir, "ack.keys", KEY_NEW "\n");
	assert_int_equal(chmod(file, 0640), 0);
	assert_int_equal(ack_keys_load(file, &k, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "chmod 600"));
	/* A systemd credential named as the file comes first, mode as it is. */
	cred = tu_write(cdir, "ack.keys", KEY_OLD "\n" KEY_NEW "\n");
	assert_int_equal(chmod(cred, 0440), 0);
	setenv("CREDENTIALS_DIRECTORY", cdir, 1);
	assert_int_equal(ack_keys_load(file, &k, &e), 0);
	assert_int_equal(k.n, 2);
	unsetenv("CREDENTIALS_DIRECTORY");
	/* A key too short is refused at its line; an empty file too. */
	free(file);
	file = tu_write(dir, "short.keys", "# c\nshort\n");
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(ack_keys_load(file, &k, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "short.keys:2:"));
	ack_keys_clear(&k);
	assert_int_equal(k.n, 0);
	free(file);
	free(cred);
	tu_rmdir(dir);
	tu_rmdir(cdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_made_is_accepted_until_it_expires),
		cmocka_unit_test(altered_or_forged_tokens_are_refused),
		cmocka_unit_test(rotation_signs_with_newest_and_accepts_older),
		cmocka_unit_test(csrf_is_bound_to_its_link),
		cmocka_unit_test(key_files_mode_and_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
