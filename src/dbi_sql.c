/* dbi_sql.c - SQLite's spelling of a statement turned into PostgreSQL's: the
 * one dialect table of the dbi layer (placeholders, temp., time functions).
 * Written here because no Debian library parses SQLite's SQL; it is a small
 * lexer that knows strings, quoted names and comments, and rewrites only
 * outside them. */
#include "dbi.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "strbuf.h"

#define MAX_PARAM 32767
#define MAX_ARGS 4

struct rw {
	const char *sql; /* the whole statement, for positions */
	struct strbuf *out;
	int nparams;
	struct err *e;
};

/* A span of the input. */
struct span {
	const char *p, *end;
};

static int rw_span(struct rw *w, const char *p, const char *end, struct strbuf *out);

static int rw_error(struct rw *w, const char *at, const char *what)
{
	return err_set(w->e, ERR_INVALID, "SQL for PostgreSQL, at byte %ld: %s",
		       (long)(at - w->sql) + 1, _(what));
}

static int is_word(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* The end of a quoted string, name or comment starting at p (p itself when
 * none starts there); unterminated ones end at end, for the server to refuse. */
static const char *skip_quoted(const char *p, const char *end)
{
	if (*p == '\'' || *p == '"') {
		char q = *p++;

		while (p < end) {
			if (*p++ != q)
				continue;
			if (p < end && *p == q) /* '' or "" inside */
				p++;
			else
				return p;
		}
		return end;
	}
	if (*p == '-' && p + 1 < end && p[1] == '-') {
		while (p < end && *p != '\n')
			p++;
		return p;
	}
	if (*p == '/' && p + 1 < end && p[1] == '*') {
		const char *c = strstr(p + 2, "*/");

		return c && c + 2 <= end ? c + 2 : end;
	}
	return p;
}

/* The arguments of a call whose '(' is at open: spans split at top-level
 * commas; *close is just past the ')'. */
static int split_args(struct rw *w, const char *open, const char *end, struct span *args,
		      int *nargs, const char **close)
{
	const char *p = open + 1, *start = p;
	int depth = 0;

	*nargs = 0;
	while (p < end) {
		const char *q = skip_quoted(p, end);

		if (q != p) {
			p = q;
			continue;
		}
		if (*p == '(') {
			depth++;
		} else if ((*p == ',' && depth == 0) || (*p == ')' && depth == 0)) {
			if (*nargs == MAX_ARGS)
				return rw_error(w, p, N_("too many arguments"));
			args[(*nargs)++] = (struct span){ start, p };
			if (*p == ')') {
				*close = p + 1;
				if (*nargs == 1 && args[0].p == args[0].end)
					*nargs = 0; /* f() */
				return 0;
			}
			start = p + 1;
		} else if (*p == ')') {
			depth--;
		}
		p++;
	}
	return rw_error(w, open, N_("unbalanced parentheses"));
}

static struct span trim(struct span s)
{
	while (s.p < s.end && isspace((unsigned char)*s.p))
		s.p++;
	while (s.end > s.p && isspace((unsigned char)s.end[-1]))
		s.end--;
	return s;
}

static int span_is(struct span s, const char *text)
{
	s = trim(s);
	return (size_t)(s.end - s.p) == strlen(text) && strncasecmp(s.p, text, s.end - s.p) == 0;
}

/* A time argument: 'now' is the statement's time in UTC (SQLite's 'now'),
 * anything else a text date or time read as UTC. */
static int time_arg(struct rw *w, struct span a, struct strbuf *out)
{
	int r;

	if (span_is(a, "'now'"))
		return sb_puts(out, "(statement_timestamp() AT TIME ZONE 'UTC')");
	sb_puts(out, "CAST((");
	r = rw_span(w, a.p, a.end, out);
	if (r < 0)
		return r;
	return sb_puts(out, ") AS timestamp)");
}

/* SQLite's strftime format (the text of a string literal) as to_char's. */
static int pg_format(struct rw *w, struct span lit, struct strbuf *out)
{
	static const struct {
		char c;
		const char *pg;
	} conv[] = {
		{ 'Y', "YYYY" }, { 'm', "MM" }, { 'd', "DD" }, { 'H', "HH24" },
		{ 'M', "MI" },   { 'S', "SS" }, { 'j', "DDD" }, { 'f', "SS.MS" },
	};
	const char *p = lit.p + 1, *end = lit.end - 1;
	int quoted = 0;
	size_t i;

	sb_putc(out, '\'');
	for (; p < end; p++) {
		if (*p == '%' && p + 1 < end && p[1] != '%') {
			for (i = 0; i < sizeof conv / sizeof conv[0] && conv[i].c != p[1]; i++)
				;
			if (i == sizeof conv / sizeof conv[0])
				return rw_error(w, p, N_("this strftime() format is not supported"));
			if (quoted)
				sb_putc(out, '"');
			quoted = 0;
			sb_puts(out, conv[i].pg);
			p++;
			continue;
		}
		if (*p == '%')
			p++; /* %% */
		if (!quoted)
			sb_putc(out, '"');
		quoted = 1;
		if (*p == '"')
			sb_putc(out, '\\');
		if (*p == '\'')
			p++; /* '' in the literal, '' again in ours */
		if (*p == '\'')
			sb_puts(out, "''");
		else
			sb_putc(out, *p);
	}
	if (quoted)
		sb_putc(out, '"');
	return sb_putc(out, '\'');
}

static int fn_julianday(struct rw *w, const char *at, struct span *a, int n, struct strbuf *out)
{
	int r;

	if (n != 1)
		return rw_error(w, at, N_("julianday() takes one argument on PostgreSQL"));
	sb_puts(out, "(EXTRACT(EPOCH FROM ");
	r = time_arg(w, a[0], out);
	if (r < 0)
		return r;
	return sb_puts(out, ") / 86400.0 + 2440587.5)");
}

static int to_char(struct rw *w, struct span *time, struct span fmt, struct strbuf *out)
{
	static const char now_text[] = "'now'";
	const struct span now = { now_text, now_text + sizeof now_text - 1 };
	int r;

	sb_puts(out, "to_char(");
	r = time_arg(w, time ? *time : now, out);
	if (r < 0)
		return r;
	sb_puts(out, ", ");
	r = pg_format(w, fmt, out);
	if (r < 0)
		return r;
	return sb_putc(out, ')');
}

static int fn_strftime(struct rw *w, const char *at, struct span *a, int n, struct strbuf *out)
{
	struct span f;

	if (n < 1 || n > 2)
		return rw_error(w, at, N_("strftime() with modifiers is not supported on PostgreSQL"));
	f = trim(a[0]);
	if (f.end - f.p < 2 || *f.p != '\'' || skip_quoted(f.p, f.end) != f.end)
		return rw_error(w, at, N_("strftime() needs a literal format on PostgreSQL"));
	return to_char(w, n == 2 ? &a[1] : NULL, f, out);
}

static int fn_date(struct rw *w, const char *at, struct span *a, int n, struct strbuf *out)
{
	static const char fmt[] = "'%Y-%m-%d'";

	if (n > 1)
		return rw_error(w, at, N_("date() with modifiers is not supported on PostgreSQL"));
	return to_char(w, n ? &a[0] : NULL, (struct span){ fmt, fmt + sizeof fmt - 1 }, out);
}

static int fn_datetime(struct rw *w, const char *at, struct span *a, int n, struct strbuf *out)
{
	static const char fmt[] = "'%Y-%m-%d %H:%M:%S'";

	if (n > 1)
		return rw_error(w, at, N_("datetime() with modifiers is not supported on PostgreSQL"));
	return to_char(w, n ? &a[0] : NULL, (struct span){ fmt, fmt + sizeof fmt - 1 }, out);
}

/* The dialect table: SQLite functions PostgreSQL lacks. */
static const struct {
	const char *name;
	int (*rewrite)(struct rw *w, const char *at, struct span *args, int n, struct strbuf *out);
} functions[] = {
	{ "julianday", fn_julianday },
	{ "strftime", fn_strftime },
	{ "date", fn_date },
	{ "datetime", fn_datetime },
};

/* A word at p (len bytes): temp. prefix, a function of the table, or itself.
 * *next is where the input goes on. */
static int rw_word(struct rw *w, const char *p, size_t len, const char *end,
		   struct strbuf *out, const char **next)
{
	const char *q = p + len, *close = NULL;
	struct span args[MAX_ARGS];
	size_t i;
	int n, r;

	*next = q;
	if (len == 4 && strncasecmp(p, "temp", 4) == 0 && q < end && *q == '.')
		return sb_puts(out, "pg_temp");
	while (q < end && isspace((unsigned char)*q))
		q++;
	if (q == end || *q != '(')
		return sb_add(out, p, len);
	for (i = 0; i < sizeof functions / sizeof functions[0]; i++) {
		if (strlen(functions[i].name) != len || strncasecmp(p, functions[i].name, len))
			continue;
		r = split_args(w, q, end, args, &n, &close);
		if (r < 0)
			return r;
		*next = close;
		return functions[i].rewrite(w, p, args, n, out);
	}
	return sb_add(out, p, len);
}

/* A placeholder at p ('?'): ?N keeps its number, ? takes the next one. */
static int rw_param(struct rw *w, const char *p, const char *end, struct strbuf *out,
		    const char **next)
{
	const char *q = p + 1;
	long n = 0;

	while (q < end && isdigit((unsigned char)*q) && n <= MAX_PARAM)
		n = n * 10 + (*q++ - '0');
	if (q == p + 1)
		n = w->nparams + 1;
	if (n < 1 || n > MAX_PARAM)
		return rw_error(w, p, N_("parameter number out of range"));
	if (n > w->nparams)
		w->nparams = (int)n;
	*next = q;
	return sb_printf(out, "$%ld", n);
}

static int rw_span(struct rw *w, const char *p, const char *end, struct strbuf *out)
{
	int r = 0;

	while (p < end && r == 0) {
		const char *q = skip_quoted(p, end);
		size_t len = 0;

		if (q != p) {
			r = sb_add(out, p, q - p);
			p = q;
			continue;
		}
		if (*p == '?') {
			r = rw_param(w, p, end, out, &p);
			continue;
		}
		if (!is_word((unsigned char)*p) || *p == '$') {
			r = sb_putc(out, *p++);
			continue;
		}
		while (p + len < end && is_word((unsigned char)p[len]))
			len++;
		/* Numbers, and names after a dot (x.temp, x.date), are kept. */
		if (isdigit((unsigned char)*p) || (p > w->sql && p[-1] == '.'))
			r = sb_add(out, p, len), q = p + len;
		else
			r = rw_word(w, p, len, end, out, &q);
		p = q;
	}
	return r;
}

int dbi_sql_rewrite(const char *sql, char **out, int *nparams, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	struct rw w = { sql, &sb, 0, e };
	int r;

	*out = NULL;
	*nparams = 0;
	r = rw_span(&w, sql, sql + strlen(sql), &sb);
	if (r == 0 && sb.oom)
		r = err_set(e, ERR_NOMEM, "out of memory");
	if (r < 0) {
		sb_free(&sb);
		return r;
	}
	*out = sb_take(&sb);
	if (!*out)
		*out = strdup("");
	*nparams = w.nparams;
	return *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}
