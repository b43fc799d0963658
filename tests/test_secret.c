/* test_secret.c - passwords: a systemd credential named as the password
 * file comes first and needs no mode 600 (systemd's ACL shows in the group
 * bits); outside systemd the file itself must be a regular file of the
 * service user's (or root's), mode 600, not empty. */
#include "testutil.h"

#include <sys/stat.h>

#include "secret.h"

static void credential_read_without_mode_check(void **state)
{
	char *dir = tu_mkdtemp(), *cred = NULL;
	struct err e = { 0 };
	char *pw = NULL;

	(void)state;
	cred = tu_write(dir, "smtp.password", "s3cret\nignored\n");
	assert_int_equal(chmod(cred, 0440), 0);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	assert_int_equal(secret_read("/etc/backad/smtp.password", &pw, &e), 0);
	assert_string_equal(pw, "s3cret");
	free(pw);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(cred);
	tu_rmdir(dir);
}

static void missing_credential_falls_back_to_the_file(void **state)
{
	char *dir = tu_mkdtemp(), *file = NULL;
	struct err e = { 0 };
	char *pw = NULL;

	(void)state;
	file = tu_write(dir, "sms.password", "gateway\n");
	assert_int_equal(chmod(file, 0600), 0);
	setenv("CREDENTIALS_DIRECTORY", "/nonexistent-credentials", 1);
	assert_int_equal(secret_credential(file, &pw, &e), 0);
	assert_null(pw);
	assert_int_equal(secret_read(file, &pw, &e), 0);
	assert_string_equal(pw, "gateway");
	free(pw);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(file);
	tu_rmdir(dir);
}

static void group_readable_file_refused_outside_systemd(void **state)
{
	char *dir = tu_mkdtemp(), *file = NULL;
	struct err e = { 0 };
	char *pw = NULL;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	file = tu_write(dir, "smtp.password", "s3cret\n");
	assert_int_equal(chmod(file, 0640), 0);
	assert_int_equal(secret_read(file, &pw, &e), ERR_INVALID);
	assert_null(pw);
	assert_non_null(strstr(e.msg, "chmod 600"));
	free(file);
	tu_rmdir(dir);
}

static void empty_credential_is_an_error(void **state)
{
	char *dir = tu_mkdtemp(), *cred = NULL;
	struct err e = { 0 };
	char *pw = NULL;

	(void)state;
	cred = tu_write(dir, "smtp.password", "\n");
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	assert_int_equal(secret_read("/etc/backad/smtp.password", &pw, &e), ERR_INVALID);
	assert_null(pw);
	assert_non_null(strstr(e.msg, "empty"));
	unsetenv("CREDENTIALS_DIRECTORY");
	free(cred);
	tu_rmdir(dir);
}

static void password_file_mode_600_read(void **state)
{
	char *dir = tu_mkdtemp(), *file, *pw = NULL;
	struct err e = { 0 };

	(void)state;
	file = tu_write(dir, "db.password", "hemligt\nrest\n");
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(secret_file_read(file, geteuid(), &pw, &e), 0);
	assert_string_equal(pw, "hemligt");
	free(pw);
	assert_int_equal(chmod(file, 0400), 0);
	assert_int_equal(secret_file_read(file, geteuid(), &pw, &e), 0);
	free(pw);
	free(file);
	tu_rmdir(dir);
}

static void password_file_mode_644_refused_naming_it(void **state)
{
	char *dir = tu_mkdtemp(), *file, *pw = NULL;
	struct err e = { 0 };

	(void)state;
	file = tu_write(dir, "db.password", "hemligt\n");
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(secret_file_read(file, geteuid(), &pw, &e), ERR_INVALID);
	assert_null(pw);
	assert_non_null(strstr(e.msg, file));
	assert_non_null(strstr(e.msg, "chmod 600"));
	assert_null(strstr(e.msg, "hemligt"));
	assert_int_equal(chmod(file, 0640), 0);
	assert_int_equal(secret_file_read(file, geteuid(), &pw, &e), ERR_INVALID);
	free(file);
	tu_rmdir(dir);
}

static void password_file_of_another_user_refused(void **state)
{
	char *dir = tu_mkdtemp(), *file, *pw = NULL;
	struct err e = { 0 };
	struct stat st;

	(void)state;
	file = tu_write(dir, "db.password", "hemligt\n");
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(stat(file, &st), 0);
	/* The file is ours: to another service user it belongs to someone else
	 * (unless it is root's, which is allowed). */
	if (st.st_uid != 0) {
		assert_int_equal(secret_file_read(file, st.st_uid + 1, &pw, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "chown"));
	} else {
		assert_int_equal(secret_file_read(file, 4242, &pw, &e), 0);
		free(pw);
	}
	free(file);
	tu_rmdir(dir);
}

static void empty_or_missing_password_file_refused(void **state)
{
	char *dir = tu_mkdtemp(), *file, *pw = NULL;
	struct err e = { 0 };

	(void)state;
	file = tu_write(dir, "db.password", "\n");
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(secret_file_read(file, geteuid(), &pw, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "empty"));
	assert_int_equal(secret_file_read("/nonexistent/db.password", geteuid(), &pw, &e),
			 ERR_IO);
	assert_non_null(strstr(e.msg, "/nonexistent/db.password"));
	free(file);
	tu_rmdir(dir);
}

/* A FIFO put where the password file was hung the open for ever (the
 * daemon's loop too, which reads the database's password on each
 * reconnect); a password longer than the buffer was cut without a word. */
static void fifo_or_overlong_password_file_refused(void **state)
{
	char *dir = tu_mkdtemp(), fifo[512], *file, *pw = NULL, big[700];
	struct err e = { 0 };

	(void)state;
	snprintf(fifo, sizeof fifo, "%s/pw.fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(secret_file_read(fifo, geteuid(), &pw, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "not a regular file"));
	memset(big, 'x', sizeof big - 2);
	big[sizeof big - 2] = '\n';
	big[sizeof big - 1] = '\0';
	file = tu_write(dir, "long.password", big);
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(secret_file_read(file, geteuid(), &pw, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "longer than"));
	assert_null(pw);
	unlink(fifo);
	free(file);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(credential_read_without_mode_check),
		cmocka_unit_test(missing_credential_falls_back_to_the_file),
		cmocka_unit_test(group_readable_file_refused_outside_systemd),
		cmocka_unit_test(empty_credential_is_an_error),
		cmocka_unit_test(password_file_mode_600_read),
		cmocka_unit_test(password_file_mode_644_refused_naming_it),
		cmocka_unit_test(password_file_of_another_user_refused),
		cmocka_unit_test(empty_or_missing_password_file_refused),
		cmocka_unit_test(fifo_or_overlong_password_file_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
