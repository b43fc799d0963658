/* plan_rows.c - the outbox rows of the subject being planned, read in one
 * statement when the subject's first message is reconciled, so that each
 * message is compared with its row in memory instead of a look-up by key
 * (a referral of a large intake unit wants hundreds of messages). Once the
 * subject writes a row, its look-ups go to the database again. */
#include "plan_rows.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "strbuf.h"

/* The columns a pass compares (sql_rows), as offsets into the text. */
enum col { C_KEY, C_STATE, C_ORIGIN, C_CHANNEL, C_ADDRESS, C_SUBJECT, C_BODY, C_DUE,
	   C_CATEGORIES, C_DEADLINE, C_COLS };

struct entry {
	uint32_t hash;
	long long id;
	int digest;
	size_t at[C_COLS];
};

struct plan_rows {
	struct dbi_stmt *q, *q_key;
	struct strbuf subject;  /* whose rows these are; "" none */
	int state;              /* 0: none read, 1: read, -1: written since */
	struct entry *v;
	int n, cap;
	int *slot;              /* index + 1 into v, 0 empty; nslots a power of 2 */
	int nslots;
	struct strbuf text;
	struct strbuf one;      /* the texts of the last row read by key */
};

/* Only an open row's text is compared: the others' is not read. */
static const char sql_rows[] =
	"SELECT key, state, origin, channel, address,"
	" CASE WHEN state IN ('pending','failed') THEN coalesce(subject,'') END,"
	" CASE WHEN state IN ('pending','failed') THEN body END, due_at, categories,"
	" coalesce(deadline, ''), id, digest_key IS NOT NULL"
	" FROM outbox WHERE subject_key = ?1";

/* One row by its key, when memory cannot tell. */
static const char sql_key[] =
	"SELECT key, state, origin, channel, address, coalesce(subject,''), body, due_at,"
	" categories, coalesce(deadline, ''), id, digest_key IS NOT NULL"
	" FROM outbox WHERE key = ?1";

static uint32_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (uint32_t)(h >> 32);
}

int plan_rows_open(struct planner *p, struct err *e)
{
	struct plan_rows *r;

	if (p->preview)
		return 0;
	if (!(r = calloc(1, sizeof *r)))
		return err_set(e, ERR_NOMEM, "out of memory");
	p->rows = r;
	int ret = dbi_prepare(p->db, sql_rows, &r->q, e);

	return ret < 0 ? ret : dbi_prepare(p->db, sql_key, &r->q_key, e);
}

void plan_rows_close(struct planner *p)
{
	struct plan_rows *r = p->rows;

	if (!r)
		return;
	dbi_finalize(r->q);
	dbi_finalize(r->q_key);
	sb_free(&r->subject);
	sb_free(&r->one);
	sb_free(&r->text);
	free(r->v);
	free(r->slot);
	free(r);
	p->rows = NULL;
}

void plan_rows_forget(struct planner *p)
{
	if (p->rows) {
		p->rows->state = 0;
		sb_reset(&p->rows->subject);
	}
}

void plan_rows_written(struct planner *p)
{
	if (p->rows && p->rows->state == 1)
		p->rows->state = -1;
}

static const char *text_at(const struct plan_rows *r, const struct entry *x, enum col c)
{
	return x->at[c] == SIZE_MAX ? NULL : r->text.s + x->at[c];
}

static int index_rows(struct plan_rows *r)
{
	int n = 16;

	while (n < 2 * r->n)
		n *= 2;
	if (n > r->nslots) {
		int *s = realloc(r->slot, (size_t)n * sizeof *s);

		if (!s)
			return ERR_NOMEM;
		r->slot = s;
		r->nslots = n;
	}
	memset(r->slot, 0, (size_t)r->nslots * sizeof *r->slot);
	for (int i = 0; i < r->n; i++) {
		int j = (int)(r->v[i].hash & (uint32_t)(r->nslots - 1));

		while (r->slot[j])
			j = (j + 1) & (r->nslots - 1);
		r->slot[j] = i + 1;
	}
	return 0;
}

static int add_row(struct plan_rows *r, struct dbi_stmt *q)
{
	struct entry *x;

	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;
		struct entry *v = realloc(r->v, (size_t)cap * sizeof *v);

		if (!v)
			return ERR_NOMEM;
		r->v = v;
		r->cap = cap;
	}
	x = &r->v[r->n];
	for (int c = 0; c < C_COLS; c++) {
		const char *t = dbi_column_text(q, c);

		x->at[c] = SIZE_MAX;
		if (t) {
			x->at[c] = r->text.len;
			if (sb_add(&r->text, t, strlen(t) + 1) < 0)
				return ERR_NOMEM;
		}
	}
	if (x->at[C_KEY] == SIZE_MAX)
		return 0; /* a key is NOT NULL: never so */
	x->hash = hash_of(dbi_column_text(q, C_KEY));
	x->id = dbi_column_int64(q, C_COLS);
	x->digest = dbi_column_int(q, C_COLS + 1);
	r->n++;
	return 0;
}

/* Read subject's rows, unless they are read already. */
static int load(struct planner *p, const char *subject, struct err *e)
{
	struct plan_rows *r = p->rows;
	int rc, ret = 0;

	if (r->state && strcmp(sb_str(&r->subject), subject) == 0)
		return 0;
	r->state = 0;
	r->n = 0;
	sb_reset(&r->text);
	sb_reset(&r->subject);
	if (sb_puts(&r->subject, subject) < 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	dbi_bind_text(r->q, 1, subject);
	while (ret == 0 && (rc = dbi_step(r->q, e)) == DBI_ROW)
		ret = add_row(r, r->q);
	if (ret == 0 && rc != DBI_DONE)
		ret = rc;
	dbi_reset(r->q);
	if (ret == 0)
		ret = index_rows(r);
	if (ret < 0) {
		sb_reset(&r->subject);
		return ret == ERR_NOMEM ? err_set(e, ret, "out of memory") : ret;
	}
	r->state = 1;
	return 0;
}

/* Whether the rows in memory answer for subject: 1, 0 (ask the database)
 * or a negative code. */
static int usable(struct planner *p, const char *subject, struct err *e)
{
	int r;

	if (!p->rows || !p->in_subject || !subject)
		return 0;
	if (p->rows->state == -1 && strcmp(sb_str(&p->rows->subject), subject) == 0)
		return 0;
	r = load(p, subject, e);
	return r < 0 ? r : 1;
}

static int from_memory(struct planner *p, const char *subject, const char *key,
		       struct plan_row *out, struct err *e)
{
	const struct plan_rows *r = p->rows;
	const struct entry *x = NULL;
	uint32_t h;
	int ok = usable(p, subject, e);

	if (ok <= 0)
		return ok;
	memset(out, 0, sizeof *out);
	h = hash_of(key);
	for (int j = (int)(h & (uint32_t)(r->nslots - 1)); r->slot[j]; j = (j + 1) & (r->nslots - 1)) {
		const struct entry *c = &r->v[r->slot[j] - 1];

		if (c->hash == h && strcmp(r->text.s + c->at[C_KEY], key) == 0) {
			x = c;
			break;
		}
	}
	if (!x)
		return 1;
	*out = (struct plan_row){
		.found = 1, .id = x->id, .digest = x->digest,
		.state = text_at(r, x, C_STATE), .origin = text_at(r, x, C_ORIGIN),
		.channel = text_at(r, x, C_CHANNEL), .address = text_at(r, x, C_ADDRESS),
		.subject = text_at(r, x, C_SUBJECT), .body = text_at(r, x, C_BODY),
		.due = text_at(r, x, C_DUE), .categories = text_at(r, x, C_CATEGORIES),
		.deadline = text_at(r, x, C_DEADLINE),
	};
	return 1;
}

/* The row of key from the table, its texts copied into r->one. */
static int from_table(struct plan_rows *r, const char *key, struct plan_row *out,
		      struct err *e)
{
	size_t at[C_COLS];
	int rc, ret = 0;

	memset(out, 0, sizeof *out);
	sb_reset(&r->one);
	dbi_bind_text(r->q_key, 1, key);
	rc = dbi_step(r->q_key, e);
	if (rc == DBI_ROW) {
		for (int c = 0; ret == 0 && c < C_COLS; c++) {
			const char *t = dbi_column_text(r->q_key, c);

			at[c] = t ? r->one.len : SIZE_MAX;
			if (t)
				ret = sb_add(&r->one, t, strlen(t) + 1);
		}
		out->found = 1;
		out->id = dbi_column_int64(r->q_key, C_COLS);
		out->digest = dbi_column_int(r->q_key, C_COLS + 1);
	}
	dbi_reset(r->q_key);
	if (ret < 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (rc != DBI_ROW)
		return rc == DBI_DONE ? 0 : rc;
#define AT(c) (at[c] == SIZE_MAX ? NULL : r->one.s + at[c])
	out->state = AT(C_STATE);
	out->origin = AT(C_ORIGIN);
	out->channel = AT(C_CHANNEL);
	out->address = AT(C_ADDRESS);
	out->subject = AT(C_SUBJECT);
	out->body = AT(C_BODY);
	out->due = AT(C_DUE);
	out->categories = AT(C_CATEGORIES);
	out->deadline = AT(C_DEADLINE);
#undef AT
	return 0;
}

int plan_rows_get(struct planner *p, const char *subject, const char *key,
		  struct plan_row *out, struct err *e)
{
	int r = from_memory(p, subject, key, out, e);

	if (r != 0 || !p->rows) {
		if (r == 0)
			memset(out, 0, sizeof *out);
		return r < 0 ? r : 0;
	}
	return from_table(p->rows, key, out, e);
}

int plan_rows_told(struct planner *p, const char *subject, const char *prefix, size_t n,
		   int *told, struct err *e)
{
	const struct plan_rows *r = p->rows;
	int ok = usable(p, subject, e);

	*told = 0;
	if (ok <= 0)
		return ok;
	for (int i = 0; i < r->n && !*told; i++) {
		const struct entry *x = &r->v[i];
		const char *st = text_at(r, x, C_STATE), *origin = text_at(r, x, C_ORIGIN);

		if (strncmp(r->text.s + x->at[C_KEY], prefix, n) != 0)
			continue;
		*told = (st && (strcmp(st, "sent") == 0 || strcmp(st, "sending") == 0 ||
				strcmp(st, "dead") == 0)) ||
			(origin && strcmp(origin, "history") == 0);
	}
	return 1;
}
