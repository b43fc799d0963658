/* outbox.c - the outbox's state machine in the case database. */
#include "outbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "db.h"
#include "digest.h"
#include "i18n.h"
#include "lock.h"
#include "msgid.h"

/* A row may go out only when what it discloses is allowed now (?today is
 * the Swedish date): a text naming a child needs that child's handover
 * consent in force today and no protected identity. A row that fails this
 * waits for the planner, which re-renders it from the facts as they are
 * (the change that made it fail is a fact change, so a pass follows). */
#define DISCLOSABLE(today) \
	" AND NOT (outbox.categories LIKE '%namn%' AND EXISTS (SELECT 1 FROM outbox_child oc" \
	"  JOIN child c ON c.id = oc.child_id WHERE oc.outbox_id = outbox.id" \
	"  AND (c.protected_identity = 1 OR NOT EXISTS (SELECT 1 FROM consent k" \
	"   WHERE k.child_id = c.id AND k.scope = 'handover' AND k.given_date <= " today \
	"   AND (k.withdrawn_date IS NULL OR k.withdrawn_date > " today ")))))"

const char *const outbox_state_names[OB_NSTATES] = {
	"pending", "sending", "sent", "failed", "dead", "cancelled",
};

static char *col_dup(struct dbi_stmt *st, int i)
{
	const char *t = dbi_column_text(st, i);

	return t ? strdup(t) : NULL;
}

void outbox_msg_clear(struct outbox_msg *m)
{
	free(m->key);
	free(m->rule);
	free(m->channel);
	free(m->address);
	free(m->subject);
	free(m->body);
	free(m->categories);
	free(m->message_id);
	free(m->digest_key);
	free(m->digest_id);
	free(m->deadline);
	outbox_msgs_free(m->parts, m->n_parts);
	memset(m, 0, sizeof *m);
}

void outbox_msgs_free(struct outbox_msg *msgs, int n)
{
	for (int i = 0; msgs && i < n; i++)
		outbox_msg_clear(&msgs[i]);
	free(msgs);
}

static int load_row(struct dbi_stmt *st, struct outbox_msg *m)
{
	time_t t = 0;

	memset(m, 0, sizeof *m);
	m->id = dbi_column_int64(st, 0);
	m->key = col_dup(st, 1);
	m->rule = col_dup(st, 2);
	m->child_id = dbi_column_int64(st, 3);
	m->recipient_id = dbi_column_int64(st, 4);
	m->channel = col_dup(st, 5);
	m->address = col_dup(st, 6);
	m->subject = col_dup(st, 7);
	m->body = col_dup(st, 8);
	m->categories = col_dup(st, 9);
	m->message_id = col_dup(st, 10);
	m->attempts = dbi_column_int(st, 11) + 1;
	m->in_doubt = dbi_column_int(st, 12);
	if (dbi_column_text(st, 13))
		cal_parse_instant(dbi_column_text(st, 13), &t);
	m->created = t;
	t = 0;
	if (dbi_column_text(st, 14))
		cal_parse_instant(dbi_column_text(st, 14), &t);
	m->due = t;
	m->digest_key = col_dup(st, 15);
	if (dbi_column_count(st) > 16)
		m->data_started = dbi_column_int(st, 16);
	if (dbi_column_count(st) > 17 && dbi_column_text(st, 17))
		m->digest_id = col_dup(st, 17);
	return m->key && m->rule && m->channel && m->address && m->body && m->message_id ? 0
											 : ERR_NOMEM;
}

#define MSG_COLUMNS "id, key, rule, child_id, recipient_id, channel, address, subject, body," \
		    " categories, message_id, attempts, in_doubt, created_at, due_at, digest_key"

/* A 0/1 flag column or'd with an integer parameter (portable: PostgreSQL
 * has no OR of integers). */
#define OR_FLAG(col, param) "CASE WHEN CAST(" param " AS BIGINT) <> 0 THEN 1 ELSE " col " END"

/* An admin alert (INSERT ... ON CONFLICT DO NOTHING: one per key). */
#define SQL_ALERT_INSERT \
	"INSERT INTO outbox(key, rule, channel, address, subject, body, categories, message_id," \
	" due_at, state, created_at, origin) VALUES (?1, 'admin_alert', 'email', ?2, ?3, ?4," \
	" 'meddelandeid,regel', ?5, ?6, 'pending', ?6, 'alert') ON CONFLICT DO NOTHING"

/* Bind st's parameters 1.. by fmt: 'i' long long, 's' text (NULL = NULL). */
static int bind_va(struct dbi_stmt *st, struct err *e, const char *fmt, va_list ap)
{
	int r = 0;

	for (int i = 0; r == 0 && fmt[i]; i++)
		r = fmt[i] == 'i' ? dbi_bind_int64(st, i + 1, va_arg(ap, long long))
				  : dbi_bind_text(st, i + 1, va_arg(ap, const char *));
	return r < 0 ? err_set(e, r, "%s: cannot bind a parameter", "outbox") : 0;
}

static int bind_all(struct dbi_stmt *st, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bind_va(st, e, fmt, ap);
	va_end(ap);
	return r;
}

/* The outbox rows a message stands for: a digest's items, or its own. */
static int rows_of(const struct outbox_msg *m)
{
	return m->parts ? m->n_parts : 1;
}

static long long row_id(const struct outbox_msg *m, int i)
{
	return m->parts ? m->parts[i].id : m->id;
}

/* Run sql with arguments by fmt (bind_va). The connection keeps the
 * statement prepared for the next run of the same SQL (dbi.h). */
static int exec_bound(struct dbi *db, const char *sql, struct err *e, const char *fmt, ...)
{
	struct dbi_stmt *st = NULL;
	va_list ap;
	int r = dbi_prepare(db, sql, &st, e);

	if (r == 0) {
		va_start(ap, fmt);
		r = bind_va(st, e, fmt, ap);
		va_end(ap);
	}
	if (r == 0)
		r = dbi_step(st, e);
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* Prepare sql, bind by fmt and step once: DBI_ROW (its columns in *st),
 * DBI_DONE or a negative code. The caller finalizes *st in every case. */
static int query_row(struct dbi *db, struct dbi_stmt **st, struct err *e, const char *sql,
		     const char *fmt, ...)
{
	va_list ap;
	int r = dbi_prepare(db, sql, st, e);

	if (r < 0)
		return r;
	va_start(ap, fmt);
	r = bind_va(*st, e, fmt, ap);
	va_end(ap);
	return r < 0 ? r : dbi_step(*st, e);
}

/* The recipient's name for a digest's greeting: the staff member's, or the
 * unit's whose mailbox it is. */
static int digest_name(struct dbi *db, const struct outbox_msg *m, char *buf, size_t n,
		       struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r = dbi_prepare(db, "SELECT coalesce((SELECT name FROM staff WHERE id = ?1),"
				" (SELECT name FROM unit WHERE email = ?2 ORDER BY id LIMIT 1), '')",
			    &st, e);

	buf[0] = '\0';
	if (r == 0)
		r = bind_all(st, e, "is", m->recipient_id, m->address);
	if (r == 0)
		r = dbi_step(st, e);
	if (r == DBI_ROW)
		snprintf(buf, n, "%s", dbi_column_text(st, 0));
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* The Message-ID of a new set of a digest key's items (the first its
 * lowest row id): no other set has that row, so no other set this id. */
static void digest_msgid(const char *key, long long first, const struct config *cfg,
			 char mid[MSGID_SIZE])
{
	char k[400];

	snprintf(k, sizeof k, "digest/%s/%lld", key, first);
	msgid_make(k, cfg->mail_from, mid);
}

static int same_or_null(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* A digest of the key that cannot be written (why): the admin is told once
 * per key (ON CONFLICT DO NOTHING); its items go one at a time meanwhile. */
static int alert_unwritable(struct dbi *db, const struct outbox_msg *parts, int n,
			    const char *why, const struct config *cfg, time_t now,
			    struct err *e)
{
	char key[400], mid[MSGID_SIZE], ts[21], subject[160], body[1024];

	snprintf(key, sizeof key, "alert/digest/%s", parts[0].digest_key);
	msgid_make(key, cfg->mail_from, mid);
	snprintf(subject, sizeof subject, "backad: en sammanställning kunde inte skrivas");
	snprintf(body, sizeof body,
		 "Till administratören för Backa barnet,\n\n"
		 "En sammanställning av %d meddelanden (kanal %s, den första rad %lld, regel %s)\n"
		 "kunde inte skrivas: %s\n\n"
		 "Meddelandena skickas i stället ett i taget. Kontrollera mallen digest.%s\n"
		 "och inställningen för SMS-längd.\n\n"
		 "--\nDetta meddelande skickades automatiskt av backad.\n",
		 n, parts[0].channel, parts[0].id, parts[0].rule, why, parts[0].channel);
	return exec_bound(db, SQL_ALERT_INSERT, e, "ssssss", key, cfg->admin_email, subject, body,
			  mid, cal_iso_utc(now, ts));
}

/* Mark row id claimed (upd bound with owner and lease); mid: the
 * Message-ID of the set it goes in, NULL for its own. */
static int claim_row(struct dbi_stmt *upd, long long id, const char *mid, struct err *e)
{
	int r = dbi_bind_int64(upd, 1, id);

	if (r == 0)
		r = dbi_bind_text(upd, 4, mid);
	if (r < 0)
		return err_set(e, r, "%s: cannot bind a parameter", "outbox claim");
	r = dbi_step(upd, e);
	dbi_reset(upd);
	return r < 0 ? r : 0;
}

/* Whether another claimer holds items of the set did of key (count: the
 * due items of the set; cnt of them were locked here): 1 yes, 0 no. */
static int held_elsewhere(struct dbi_stmt *count, const char *key, const char *did, int cnt,
			  struct err *e)
{
	int r = dbi_bind_text(count, 2, key);

	if (r == 0)
		r = dbi_bind_text(count, 4, did);
	if (r < 0)
		return err_set(e, r, "%s: cannot bind a parameter", "outbox claim");
	r = dbi_step(count, e);
	if (r == DBI_ROW)
		r = dbi_column_int64(count, 0) > cnt;
	dbi_reset(count);
	return r;
}

/* Claim the next set of m's digest key (m a due row of it) as one message
 * in m: the items claimed before in one set (outbox.digest_id) again as
 * that set, else every due item not yet claimed. The set keeps, or gets
 * and stores, its Message-ID; one item goes with its own text (and its own
 * Message-ID when it was never in a set), several as the digest with
 * m->parts the items. 1 when claimed; 0 when m goes on its own (the
 * caller claims it): nothing of the key is due; 2 when m is left alone:
 * another claimer holds items of its set (PostgreSQL), they go later. */
static int gather(struct dbi *db, struct outbox_msg *m, struct dbi_stmt *items,
		  struct dbi_stmt *count, struct dbi_stmt *upd,
		  const struct templates *tpl, const struct config *cfg, time_t now,
		  struct err *e)
{
	struct outbox_msg *parts = NULL;
	struct digest_item *di = NULL;
	char name[256], mid[MSGID_SIZE], *subject = NULL, *body = NULL;
	int cnt = 0, cap = 0, rc, r = 0, one = 0;

	rc = dbi_bind_text(items, 2, m->digest_key) < 0 ? ERR_NOMEM : DBI_ROW;
	/* Sets claimed before first, each together (by digest_id). */
	while (rc == DBI_ROW && (rc = dbi_step(items, e)) == DBI_ROW) {
		const char *d = dbi_column_text(items, 17);

		if (cnt > 0 && !same_or_null(d, parts[0].digest_id)) {
			rc = DBI_DONE;
			break;
		}
		if (cnt == cap) {
			struct outbox_msg *np = realloc(parts, (size_t)(cap ? cap * 2 : 8) * sizeof *np);

			if (!np) {
				r = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			parts = np;
			cap = cap ? cap * 2 : 8;
		}
		if (load_row(items, &parts[cnt++]) < 0 || (d && !parts[cnt - 1].digest_id) ||
		    (dbi_column_text(items, 18) &&
		     !(parts[cnt - 1].deadline = col_dup(items, 18)))) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (r == 0 && rc < 0)
		r = rc == ERR_NOMEM ? err_set(e, rc, "out of memory") : rc;
	dbi_reset(items);
	/* A set claimed before goes whole or not at all: when another claimer
	 * holds some of its items (PostgreSQL's SKIP LOCKED left them out),
	 * the key waits for the next claim. */
	if (r == 0 && cnt > 0 && count && parts[0].digest_id)
		r = held_elsewhere(count, m->digest_key, parts[0].digest_id, cnt, e);
	if (r < 0 || cnt == 0)
		goto out;
	if (r == 1) {
		r = 2;
		goto out;
	}
	if (parts[0].digest_id)
		snprintf(mid, sizeof mid, "%s", parts[0].digest_id);
	else if (cnt == 1)
		snprintf(mid, sizeof mid, "%s", parts[0].message_id);
	else
		digest_msgid(m->digest_key, parts[0].id, cfg, mid);
	one = cnt == 1;
	if (!one) {
		di = calloc((size_t)cnt, sizeof *di);
		if (!di) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		for (int i = 0; i < cnt; i++)
			di[i] = (struct digest_item){ parts[i].id, parts[i].rule, parts[i].subject,
						      parts[i].body, parts[i].deadline };
		r = digest_name(db, m, name, sizeof name, e);
		if (r < 0)
			goto out;
		if (digest_render(tpl, m->channel, name, cal_today(now), di, cnt, &subject, &body,
				  e) < 0) {
			/* A digest that cannot be written: the admin is told
			 * (once), its first item goes on its own, the others at
			 * the next claim. */
			char why[sizeof e->msg];

			snprintf(why, sizeof why, "%s", e->msg);
			r = alert_unwritable(db, parts, cnt, why, cfg, now, e);
			if (r < 0)
				goto out;
			if (!parts[0].digest_id)
				snprintf(mid, sizeof mid, "%s", parts[0].message_id);
			one = 1;
		}
	}
	for (int i = 0; r == 0 && i < (one ? 1 : cnt); i++) {
		r = claim_row(upd, parts[i].id, mid, e);
	}
	if (r < 0)
		goto out;
	if (one) {
		/* The item itself, under its set's Message-ID. */
		outbox_msg_clear(m);
		*m = parts[0];
		memset(&parts[0], 0, sizeof parts[0]);
		if (strcmp(m->message_id, mid) != 0) {
			free(m->message_id);
			m->message_id = strdup(mid);
		}
		r = m->message_id ? 1 : err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < cnt; i++) {
		struct outbox_msg *x = &parts[i];

		if (x->attempts > m->attempts)
			m->attempts = x->attempts;
		m->in_doubt |= x->in_doubt;
		if (x->created < m->created)
			m->created = x->created;
		if (x->due < m->due)
			m->due = x->due;
	}
	/* The message is the set's (m itself may wait for a later set). */
	free(m->key);
	free(m->rule);
	m->key = strdup(parts[0].key);
	m->rule = strdup(parts[0].rule);
	m->id = parts[0].id;
	m->child_id = 0;
	free(m->subject);
	free(m->body);
	free(m->message_id);
	m->subject = subject;
	m->body = body;
	m->message_id = strdup(mid);
	subject = body = NULL;
	m->parts = parts;
	m->n_parts = cnt;
	parts = NULL;
	cnt = 0;
	r = m->message_id && m->key && m->rule ? 1 : err_set(e, ERR_NOMEM, "out of memory");
out:
	free(di);
	free(subject);
	free(body);
	outbox_msgs_free(parts, cnt);
	return r;
}

int outbox_claim(struct dbi *db, time_t now, int max, const char *channel, const char *owner,
		 time_t lease_until, struct outbox_msg **msgs, int *n, struct err *e)
{
	return outbox_claim_digests(db, now, max, channel, owner, lease_until, NULL, NULL, msgs,
				    n, e);
}

#define DUE_ROWS \
	" FROM outbox WHERE state IN ('pending','failed') AND due_at <= ?1" \
	" AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)"

/* The claim's statements. On PostgreSQL the due rows are locked as they
 * are read and rows another claimer holds are skipped (FOR UPDATE SKIP
 * LOCKED): two daemons claiming at once get different rows and neither
 * waits. SQLite has one writer at a time (BEGIN IMMEDIATE): no lock clause. */
#define SKIP_LOCKED " FOR UPDATE SKIP LOCKED"
#define SQL_DUE \
	"SELECT " MSG_COLUMNS DUE_ROWS " AND (CAST(?3 AS TEXT) IS NULL OR channel = ?3)" \
	DISCLOSABLE("?4") " ORDER BY due_at, id LIMIT ?2"
#define SQL_ITEMS \
	"SELECT " MSG_COLUMNS ", 0, digest_id, deadline" DUE_ROWS " AND digest_key = ?2" \
	DISCLOSABLE("?3") " ORDER BY digest_id IS NULL, digest_id, id"

static int claim_prepare(struct dbi *db, int digests, struct dbi_stmt **sel,
			 struct dbi_stmt **items, struct dbi_stmt **count, struct dbi_stmt **upd,
			 struct err *e)
{
	int pg = dbi_backend(db) == DBI_PG, r;

	r = dbi_prepare(db, pg ? SQL_DUE SKIP_LOCKED : SQL_DUE, sel, e);
	if (r == 0 && digests)
		r = dbi_prepare(db, pg ? SQL_ITEMS SKIP_LOCKED : SQL_ITEMS, items, e);
	if (r == 0 && digests && pg)
		r = dbi_prepare(db, "SELECT count(*)" DUE_ROWS " AND digest_key = ?2"
				" AND digest_id = ?4" DISCLOSABLE("?3"), count, e);
	if (r == 0)
		r = dbi_prepare(db, "UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
				" claim_owner = ?2, lease_until = ?3, data_started = 0,"
				" digest_id = CASE WHEN digest_key IS NOT NULL"
				"  THEN coalesce(digest_id, CAST(?4 AS TEXT), message_id) END"
				" WHERE id = ?1", upd, e);
	return r;
}

/* A claim's transaction. On PostgreSQL it reads committed rows: a row
 * claimed by a transaction that committed after this one began is seen
 * as it is now (sending) and skipped, where a snapshot (REPEATABLE READ)
 * would fail the lock with a serialization error. */
static int claim_begin(struct dbi *db, struct err *e)
{
	if (dbi_backend(db) == DBI_PG)
		return dbi_exec(db, "BEGIN ISOLATION LEVEL READ COMMITTED", e);
	return db_begin(db, e);
}

int outbox_claim_digests(struct dbi *db, time_t now, int max, const char *channel,
			 const char *owner, time_t lease_until, const struct templates *tpl,
			 const struct config *cfg, struct outbox_msg **msgs, int *n,
			 struct err *e)
{
	struct dbi_stmt *sel = NULL, *upd = NULL, *items = NULL, *count = NULL;
	struct outbox_msg *out = NULL;
	char ts[21], lease[21], day[DATE_LEN];
	int r, rc, cnt = 0;

	*msgs = NULL;
	*n = 0;
	out = calloc((size_t)max, sizeof *out);
	if (!out)
		return err_set(e, ERR_NOMEM, "out of memory");
	r = claim_begin(db, e);
	if (r < 0) {
		free(out);
		return r;
	}
	r = claim_prepare(db, tpl != NULL, &sel, &items, &count, &upd, e);
	if (r < 0)
		goto fail;
	cal_iso_utc(now, ts);
	date_format(cal_today(now), day);
	r = bind_all(sel, e, "sis", ts, (long long)max, channel && *channel ? channel : NULL);
	if (r == 0)
		r = bind_all(upd, e, "iss", 0LL, owner, cal_iso_utc(lease_until, lease));
	if (r == 0 && items)
		r = bind_all(items, e, "s", ts);
	if (r == 0 && items && dbi_bind_text(items, 3, day) < 0)
		r = err_set(e, ERR_NOMEM, "out of memory");
	if (r == 0 && count && (dbi_bind_text(count, 1, ts) < 0 || dbi_bind_text(count, 3, day) < 0))
		r = err_set(e, ERR_NOMEM, "out of memory");
	if (r == 0 && dbi_bind_text(sel, 4, day) < 0)
		r = err_set(e, ERR_NOMEM, "out of memory");
	if (r < 0)
		goto fail;
	/* The due rows first, then their claims: a digest claims the other
	 * items of its key too, and a later row of a key already gathered is
	 * in it. */
	while ((rc = dbi_step(sel, e)) == DBI_ROW) {
		if (load_row(sel, &out[cnt++]) < 0) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (rc < 0) {
		r = rc;
		goto fail;
	}
	dbi_finalize(sel);
	sel = NULL;
	for (int i = 0, k = 0, all = cnt; i < all; i++) {
		int dup = 0;

		for (int j = 0; items && out[i].digest_key && j < k; j++)
			dup |= out[j].digest_key && strcmp(out[j].digest_key, out[i].digest_key) == 0;
		if (dup) {
			outbox_msg_clear(&out[i]);
			cnt--;
			continue;
		}
		if (k != i) {
			out[k] = out[i];
			memset(&out[i], 0, sizeof out[i]);
		}
		r = items && out[k].digest_key
			? gather(db, &out[k], items, count, upd, tpl, cfg, now, e) : 0;
		if (r < 0)
			goto fail;
		if (r == 2) {
			/* Its key is another claimer's now: not this claim's. */
			outbox_msg_clear(&out[k]);
			cnt--;
			continue;
		}
		k++;
		if (r == 1)
			continue;
		r = claim_row(upd, out[k - 1].id, NULL, e);
		if (r < 0)
			goto fail;
	}
	dbi_finalize(upd);
	dbi_finalize(items);
	dbi_finalize(count);
	sel = upd = items = count = NULL;
	r = db_commit(db, e);
	if (r < 0)
		goto fail;
	*msgs = out;
	*n = cnt;
	return 0;
fail:
	dbi_finalize(sel);
	dbi_finalize(upd);
	dbi_finalize(items);
	dbi_finalize(count);
	db_rollback(db);
	outbox_msgs_free(out, max);
	return r;
}

/* m went out as the message with Message-ID mid (its own, or its
 * digest's); cats: what it disclosed (NULL: m's categories). */
static int mark_sent(struct dbi *db, const struct outbox_msg *m, const char *provider,
		     const char *now, int in_doubt, const char *mid, const char *cats,
		     struct err *e)
{
	int r = exec_bound(db, "UPDATE outbox SET state = 'sent', sent_at = ?2, provider_id = ?3,"
			       " last_error = NULL, next_attempt_at = NULL, data_started = 0,"
			       " claim_owner = NULL, lease_until = NULL,"
			       " in_doubt = " OR_FLAG("in_doubt", "?4") " WHERE id = ?1",
			   e, "issi", m->id, now, provider, (long long)in_doubt);

	/* One audit row per child the message names (a digest names several),
	 * or one without a child. */
	if (r == 0)
		r = exec_bound(db, "INSERT INTO audit(at, outbox_id, recipient_id, address, child_id,"
				   " rule, channel, provider_id, categories, message_id)"
				   " SELECT CAST(?1 AS TEXT), CAST(?2 AS BIGINT),"
				   " nullif(CAST(?3 AS BIGINT), 0), CAST(?4 AS TEXT), c, CAST(?6 AS TEXT),"
				   " CAST(?7 AS TEXT), CAST(?8 AS TEXT), CAST(?9 AS TEXT),"
				   " CAST(?10 AS TEXT) FROM"
				   " (SELECT child_id AS c FROM outbox_child WHERE outbox_id = ?2"
				   "  UNION ALL SELECT nullif(CAST(?5 AS BIGINT), 0) WHERE NOT EXISTS"
				   "  (SELECT 1 FROM outbox_child WHERE outbox_id = ?2)) AS x",
			       e, "siisisssss", now, m->id, m->recipient_id, m->address,
			       m->child_id, m->rule, m->channel, provider,
			       cats ? cats : m->categories ? m->categories : "", mid);
	return r;
}

/* A formatted string, malloc'd; NULL when out of memory. */
static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

/* One alert for m; a digest's names each of its items (one retry each). */
static int queue_alert(struct dbi *db, const struct outbox_msg *m, const char *why,
		       const char *now, const struct config *cfg, struct err *e)
{
	char key[64], mid[MSGID_SIZE], subject[160];
	char *body, *ids = str_printf("%lld", m->id), *retry = str_printf("%lld", m->id);
	int r;

	for (int i = 1; ids && retry && m->parts && i < m->n_parts; i++) {
		char *a = str_printf("%s, %lld", ids, m->parts[i].id);
		char *b = str_printf("%s\n  backactl retry %lld", retry, m->parts[i].id);

		free(ids);
		free(retry);
		ids = a;
		retry = b;
	}
	snprintf(key, sizeof key, "alert/dead/%lld", m->id);
	msgid_make(key, cfg->mail_from, mid);
	if (m->parts)
		snprintf(subject, sizeof subject, "backad: en sammanställning med %d meddelanden"
			 " kunde inte levereras", m->n_parts);
	else
		snprintf(subject, sizeof subject, "backad: meddelande %lld kunde inte levereras",
			 m->id);
	body = !ids || !retry ? NULL : m->parts
		? str_printf("Till administratören för Backa barnet,\n\n"
				  "En sammanställning (regel %s, kanal %s, Message-ID %s) med\n"
				  "meddelandena %s kunde inte levereras efter %d försök och har gett upp.\n\n"
				  "Senaste fel: %s\n\n"
				  "Kontrollera mottagarens adress eller förbindelsen och köa om dem med:\n"
				  "  backactl retry %s\n\n--\nDetta meddelande skickades automatiskt av backad.\n",
				  m->rule, m->channel, m->message_id, ids, m->attempts, why, retry)
		: str_printf("Till administratören för Backa barnet,\n\n"
				  "Meddelande %lld (regel %s, kanal %s) kunde inte levereras efter %d försök\n"
				  "och har gett upp.\n\nSenaste fel: %s\n\n"
				  "Kontrollera mottagarens adress eller förbindelsen och köa om det med:\n"
				  "  backactl retry %lld\n\n--\nDetta meddelande skickades automatiskt av backad.\n",
				  m->id, m->rule, m->channel, m->attempts, why, m->id);
	r = body ? exec_bound(db, SQL_ALERT_INSERT, e, "ssssss", key, cfg->admin_email, subject,
			      body, mid, now)
		 : err_set(e, ERR_NOMEM, "out of memory");
	free(ids);
	free(retry);
	free(body);
	return r;
}

/* The other channel's address of m's recipient, or "" when there is none. */
static int other_address(struct dbi *db, const struct outbox_msg *m, char *buf, size_t n,
			 struct err *e)
{
	struct dbi_stmt *st = NULL;
	int sms = strcmp(m->channel, "sms") == 0, r;

	buf[0] = '\0';
	if (!m->recipient_id || strstr(m->key, "/fallback"))
		return 0;
	r = query_row(db, &st, e, sms ? "SELECT email FROM staff WHERE id = ?1 AND active = 1"
				  : "SELECT mobile FROM staff WHERE id = ?1 AND active = 1",
		      "i", m->recipient_id);
	if (r == DBI_ROW && dbi_column_text(st, 0))
		snprintf(buf, n, "%s", dbi_column_text(st, 0));
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* Queue m again on the other channel; *done = 1 when a fallback was queued. */
static int queue_fallback(struct dbi *db, const struct outbox_msg *m, const char *why,
			  const char *now, const struct config *cfg, int *done, struct err *e)
{
	char addr[256], key[400], fkey[32], mid[MSGID_SIZE], body[2048];
	int sms = strcmp(m->channel, "sms") == 0, r;

	*done = 0;
	r = other_address(db, m, addr, sizeof addr, e);
	if (r < 0 || !addr[0])
		return r;
	snprintf(key, sizeof key, "%s/fallback", m->key);
	snprintf(fkey, sizeof fkey, "fallback.%lld", m->id);
	msgid_make(fkey, cfg->mail_from, mid);
	if (sms)
		snprintf(body, sizeof body, "%s\n\n(Meddelandet kunde inte skickas som SMS: %s.)\n",
			 m->body, why);
	else
		snprintf(body, sizeof body, "Backa barnet: ett e-postmeddelande till dig kunde inte "
			 "levereras. Kontrollera din e-postadress hos administratören.");
	r = exec_bound(db, "INSERT INTO outbox(key, rule, child_id, recipient_id,"
			   " channel, address, subject, body, categories, message_id, due_at,"
			   " state, created_at, origin, subject_key) VALUES (?1, ?2,"
			   " nullif(CAST(?3 AS BIGINT), 0), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending',"
			   " ?11, 'fallback', (SELECT subject_key FROM outbox WHERE id = ?12))"
			   " ON CONFLICT DO NOTHING",
		       e, "ssiisssssssi", key, m->rule, m->child_id, m->recipient_id,
		       sms ? "email" : "sms", addr,
		       sms ? "Backa barnet: meddelande som inte kunde skickas som SMS" : NULL,
		       body, !sms ? "" : m->parts ? "antal" : m->categories, mid, now, m->id);
	/* The SMS's text goes by e-mail: it names the same children (an SMS
	 * digest names none: it told counts). */
	if (r == 0 && sms && !m->parts)
		r = exec_bound(db, "INSERT INTO outbox_child(outbox_id, child_id)"
				   " SELECT (SELECT id FROM outbox WHERE key = ?1), child_id"
				   " FROM outbox_child WHERE outbox_id = ?2 ON CONFLICT DO NOTHING",
			       e, "si", key, m->id);
	*done = r == 0;
	return r;
}

/* When a message's life began: it was due (or planned, whichever is later). */
static time_t life_start(const struct outbox_msg *m)
{
	return m->due > m->created ? m->due : m->created;
}

/* m is dead: its reason recorded, a fallback on the other channel or an
 * admin alert queued. */
static int mark_dead(struct dbi *db, const struct outbox_msg *m, const char *detail,
		     const char *ts, int in_doubt, const struct config *cfg, struct err *e)
{
	int fell_back = 0, r = 0;

	/* A digest: every item dead, one fallback or alert for the message. */
	for (int i = 0; r == 0 && i < rows_of(m); i++)
		r = exec_bound(db, "UPDATE outbox SET state = 'dead', last_error = ?2,"
				   " next_attempt_at = NULL, in_doubt = " OR_FLAG("in_doubt", "?3") ","
				   " data_started = 0, claim_owner = NULL, lease_until = NULL"
				   " WHERE id = ?1", e, "isi", row_id(m, i),
			       detail, (long long)in_doubt);
	if (r == 0)
		r = queue_fallback(db, m, detail ? detail : "-", ts, cfg, &fell_back, e);
	if (r == 0 && !fell_back && strcmp(m->rule, "admin_alert") != 0)
		r = queue_alert(db, m, detail ? detail : "-", ts, cfg, e);
	return r;
}

static int dlr_fallback(struct dbi *db, long long id, const char *ts, const struct config *cfg,
			struct err *e);

/* A delivery report that came while m was still being sent (it overtook
 * the gateway's answer): 1 delivered, -1 undeliverable, 0 none. */
static int early_report(struct dbi *db, const struct outbox_msg *m, int *said, struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r;

	*said = 0;
	if (strcmp(m->channel, "sms") != 0)
		return 0;
	r = query_row(db, &st, e, "SELECT delivery FROM outbox WHERE id = ?1", "i", m->id);
	if (r == DBI_ROW && dbi_column_text(st, 0))
		*said = strcmp(dbi_column_text(st, 0), "delivered") == 0 ? 1 : -1;
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

int outbox_done_tx(struct dbi *db, const struct outbox_msg *m, enum outbox_result res,
		   const char *detail, long retry_after, time_t now, const struct config *cfg,
		   enum outbox_state *state_out, struct err *e)
{
	char ts[21], next[21];
	enum outbox_state state;
	int said, ok = res == OUTBOX_SENT || res == OUTBOX_SENT_INDOUBT;
	int r = early_report(db, m, &said, e);

	if (r < 0)
		return r;
	cal_iso_utc(now, ts);
	/* A report acts only now that the send's result is known: the handset
	 * has it (delivered wins over a failed answer: sent, no retry, no
	 * fallback), or, sent, it never will (the fallback now). */
	if (ok || said > 0) {
		state = OB_SENT;
		r = 0;
		/* A digest: every item sent, one audit row per child of each;
		 * an SMS digest told only how many items there were. */
		const char *cats = m->parts && strcmp(m->channel, "sms") == 0 ? "antal" : NULL;

		for (int i = 0; r == 0 && i < rows_of(m); i++)
			r = mark_sent(db, m->parts ? &m->parts[i] : m, ok ? detail : NULL, ts,
				      res == OUTBOX_SENT_INDOUBT, m->message_id, cats, e);
		if (r == 0 && said < 0)
			r = dlr_fallback(db, m->id, ts, cfg, e);
	} else {
		long long backoff = cfg->retry_min;
		time_t born = life_start(m);

		for (int i = 1; i < m->attempts && backoff < cfg->retry_max; i++)
			backoff *= 2;
		if (backoff > cfg->retry_max)
			backoff = cfg->retry_max;
		if (retry_after > 0)
			backoff = retry_after;
		else if (retry_after == OUTBOX_AT_ONCE)
			backoff = 0;
		state = res == OUTBOX_PERMFAIL || (born && now + backoff - born > cfg->retry_lifetime)
				? OB_DEAD : OB_FAILED;
		cal_iso_utc(now + (time_t)backoff, next);
		r = 0;
		if (state == OB_DEAD)
			r = mark_dead(db, m, detail, ts, res == OUTBOX_INDOUBT, cfg, e);
		/* A digest's items share its fate and its next attempt. */
		for (int i = 0; r == 0 && state != OB_DEAD && i < rows_of(m); i++) {
			const struct outbox_msg *x = m->parts ? &m->parts[i] : m;

			r = exec_bound(db, "UPDATE outbox SET state = 'failed', last_error = ?2,"
					   " next_attempt_at = ?3,"
					   " in_doubt = " OR_FLAG("in_doubt", "?4") ","
					   " data_started = 0, claim_owner = NULL,"
					   " lease_until = NULL WHERE id = ?1",
				      e, "issi", x->id, detail, next,
				      (long long)(res == OUTBOX_INDOUBT));
		}
		/* Retried: the early undeliverable report was of this attempt;
		 * the next one gets its own. */
		if (r == 0 && state == OB_FAILED && said < 0)
			r = exec_bound(db, "UPDATE outbox SET delivery = NULL, delivery_at = NULL"
					   " WHERE id = ?1", e, "i", m->id);
	}
	if (r == 0 && state_out)
		*state_out = state;
	return r;
}

int outbox_done(struct dbi *db, const struct outbox_msg *m, enum outbox_result res,
		const char *detail, long retry_after, time_t now, const struct config *cfg,
		enum outbox_state *state_out, struct err *e)
{
	enum outbox_state state;
	int r = db_begin(db, e);

	if (r < 0)
		return r;
	r = outbox_done_tx(db, m, res, detail, retry_after, now, cfg, &state, e);
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0) {
		db_rollback(db);
		return r;
	}
	if (state_out)
		*state_out = state;
	return 0;
}

/* The admin alert of a result that could not be recorded. */
static int alert_unrecordable(struct dbi *db, const struct outbox_msg *m, const char *why,
			      const char *now, const struct config *cfg, struct err *e)
{
	char key[64], mid[MSGID_SIZE], subject[160];
	char *body;
	int r;

	snprintf(key, sizeof key, "alert/unrecorded/%lld", m->id);
	msgid_make(key, cfg->mail_from, mid);
	snprintf(subject, sizeof subject, "backad: resultatet av meddelande %lld kunde inte sparas",
		 m->id);
	body = str_printf("Till administratören för Backa barnet,\n\n"
			  "Meddelande %lld (regel %s, kanal %s) skickades, men databasen vägrade\n"
			  "spara resultatet:\n\n  %s\n\n"
			  "Meddelandet kan ha kommit fram. Det skickas inte igen av sig självt och\n"
			  "är markerat som dött och osäkert. Rätta orsaken (till exempel\n"
			  "behörigheterna för backads databasroll) och kontrollera med\n"
			  "  backactl status --check\n"
			  "Skicka det igen, om det behövs, med:\n"
			  "  backactl retry %lld\n\n--\nDetta meddelande skickades automatiskt av backad.\n",
			  m->id, m->rule, m->channel, why, m->id);
	r = body ? exec_bound(db, SQL_ALERT_INSERT, e, "ssssss", key, cfg->admin_email, subject,
			      body, mid, now)
		 : err_set(e, ERR_NOMEM, "out of memory");
	free(body);
	return r;
}

int outbox_unrecordable_tx(struct dbi *db, const struct outbox_msg *m, const char *why,
			   time_t now, const struct config *cfg, struct err *e)
{
	char ts[21], detail[400];
	int r = 0;

	cal_iso_utc(now, ts);
	snprintf(detail, sizeof detail, "resultatet kunde inte sparas: %s", why);
	for (int i = 0; r == 0 && i < rows_of(m); i++)
		r = exec_bound(db, "UPDATE outbox SET state = 'dead', last_error = ?2,"
				   " next_attempt_at = NULL, in_doubt = 1, data_started = 0,"
				   " claim_owner = NULL, lease_until = NULL"
				   " WHERE id = ?1 AND state = 'sending'",
			       e, "is", row_id(m, i), detail);
	if (r == 0 && strcmp(m->rule, "admin_alert") != 0)
		r = alert_unrecordable(db, m, why, ts, cfg, e);
	return r;
}

int outbox_started_tx(struct dbi *db, const struct outbox_msg *m, struct err *e)
{
	int r = 0;

	for (int i = 0; r == 0 && i < rows_of(m); i++)
		r = exec_bound(db, "UPDATE outbox SET data_started = 1 WHERE id = ?1"
				   " AND state = 'sending'",
			      e, "i", row_id(m, i));
	return r;
}

int outbox_release_tx(struct dbi *db, const struct outbox_msg *m, time_t until, struct err *e)
{
	char ts[21];
	int r = 0;

	cal_iso_utc(until, ts);
	for (int i = 0; r == 0 && i < rows_of(m); i++)
		r = exec_bound(db, "UPDATE outbox SET state = CASE WHEN attempts > 1 THEN 'failed'"
				   " ELSE 'pending' END, attempts = attempts - 1,"
				   " next_attempt_at = ?2, data_started = 0, claim_owner = NULL,"
				   " lease_until = NULL WHERE id = ?1 AND state = 'sending'",
			      e, "is", row_id(m, i), ts);
	return r;
}

int outbox_defer(struct dbi *db, const struct outbox_msg *m, time_t until, struct err *e)
{
	return outbox_release_tx(db, m, until, e);
}

/* The rows a query selects, loaded (at most max). */
static int load_rows(struct dbi *db, const char *sql, int max, struct outbox_msg **msgs, int *n,
		     struct err *e, const char *fmt, ...)
{
	va_list ap;
	struct dbi_stmt *st = NULL;
	struct outbox_msg *out = calloc((size_t)max, sizeof *out);
	int r, rc = DBI_DONE, cnt = 0;

	*msgs = NULL;
	*n = 0;
	if (!out)
		return err_set(e, ERR_NOMEM, "out of memory");
	r = dbi_prepare(db, sql, &st, e);
	if (r == 0) {
		va_start(ap, fmt);
		r = bind_va(st, e, fmt, ap);
		va_end(ap);
	}
	while (r == 0 && cnt < max && (rc = dbi_step(st, e)) == DBI_ROW) {
		if (load_row(st, &out[cnt++]) < 0) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (r == 0 && rc < 0)
		r = rc;
	dbi_finalize(st);
	if (r < 0) {
		outbox_msgs_free(out, cnt);
		return r;
	}
	*msgs = out;
	*n = cnt;
	return 0;
}

#define RECOVER_MAX 500
#define SQL_RECOVER \
	"SELECT " MSG_COLUMNS ", data_started, digest_id FROM outbox WHERE state = 'sending'" \
	" AND (claim_owner IS NULL OR claim_owner <> ?1 OR lease_until IS NULL" \
	" OR lease_until < ?2) ORDER BY id LIMIT ?3"
#define SQL_RECOVER_PG \
	"SELECT " MSG_COLUMNS ", data_started, digest_id FROM outbox WHERE state = 'sending'" \
	" AND (claim_owner IS NULL OR lease_until IS NULL OR lease_until < ?1)" \
	" ORDER BY id LIMIT ?2" SKIP_LOCKED

/* In *v, m[i] and the later rows of m[0..n) of its digest set (the same
 * digest_id and kind[]), those marked done: one message with them as its
 * parts, so that a set given up is reported once. E-mail only: an SMS
 * item that falls back to e-mail goes with its own text. grp has room for
 * n; nothing in *v is owned. */
static void set_view(const struct outbox_msg *m, int n, int i, const int *kind, char *done,
		     struct outbox_msg *grp, struct outbox_msg *v)
{
	int k = 0;

	*v = m[i];
	grp[k++] = m[i];
	for (int j = i + 1; m[i].digest_id && strcmp(m[i].channel, "email") == 0 && j < n; j++)
		if (!done[j] && kind[j] == kind[i] && m[j].digest_id &&
		    strcmp(m[j].digest_id, m[i].digest_id) == 0) {
			grp[k++] = m[j];
			done[j] = 1;
		}
	if (k > 1) {
		v->parts = grp;
		v->n_parts = k;
		v->message_id = m[i].digest_id;
	}
}

/* PostgreSQL: the claims of a daemon of this host that has died (kill -9,
 * a crash) end now rather than when their lease would: a daemon restarted
 * on the same host takes them back at once, as on SQLite. Another host's
 * claims wait for their lease (lock.h instance_gone). */
static int end_leases_of_the_gone(struct dbi *db, time_t now, struct err *e)
{
	struct dbi_stmt *q = NULL;
	char ts[21], past[21], *gone[16];
	int n = 0, r;

	cal_iso_utc(now, ts);
	cal_iso_utc(now - 1, past);
	r = dbi_prepare(db, "SELECT DISTINCT claim_owner FROM outbox WHERE state = 'sending'"
			    " AND claim_owner IS NOT NULL AND lease_until >= ?1", &q, e);
	if (r < 0)
		return r;
	dbi_bind_text(q, 1, ts);
	while ((r = dbi_step(q, e)) == DBI_ROW) {
		const char *o = dbi_column_text(q, 0);

		if (n == (int)(sizeof gone / sizeof gone[0]) || !instance_gone(o))
			continue; /* more wait for the next recovery, or their lease */
		gone[n] = strdup(o);
		if (!gone[n]) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	dbi_finalize(q);
	r = r == DBI_DONE ? 0 : r;
	for (int i = 0; i < n; i++) {
		if (r == 0)
			r = exec_bound(db, "UPDATE outbox SET lease_until = ?2 WHERE state = 'sending'"
					   " AND claim_owner = ?1", e, "ss", gone[i], past);
		free(gone[i]);
	}
	return r;
}

int outbox_recover(struct dbi *db, time_t now, const char *owner, const struct config *cfg,
		   struct outbox_recovery *rec, struct err *e)
{
	struct outbox_msg *m = NULL, *grp = NULL;
	char ts[21], *done = NULL;
	int n = 0, r, *kind = NULL, pg = dbi_backend(db) == DBI_PG;

	memset(rec, 0, sizeof *rec);
	cal_iso_utc(now, ts);
	if (pg) {
		r = end_leases_of_the_gone(db, now, e);
		if (r < 0)
			return r;
	}
	do {
		r = pg ? claim_begin(db, e) : 0;
		if (r < 0)
			return r;
		/* SQLite: claims of another owner (gone: we hold the
		 * database's lock), or whose lease ran out (nothing in flight
		 * holds them any more). PostgreSQL, where several daemons
		 * share the database: claims whose lease ran out, whoever's
		 * they were, locked so that one daemon takes each. */
		r = pg ? load_rows(db, SQL_RECOVER_PG, RECOVER_MAX, &m, &n, e, "si", ts,
				   (long long)RECOVER_MAX)
		       : load_rows(db, SQL_RECOVER, RECOVER_MAX, &m, &n, e, "ssi", owner, ts,
				   (long long)RECOVER_MAX);
		if (r < 0 || n == 0) {
			db_rollback(db);
			free(m);
			return r;
		}
		kind = calloc((size_t)n, sizeof *kind);
		done = calloc((size_t)n, 1);
		grp = calloc((size_t)n, sizeof *grp);
		r = !kind || !done || !grp ? err_set(e, ERR_NOMEM, "out of memory")
		    : pg ? 0 : db_begin(db, e);
		/* In doubt, dead or released; a digest's items of one fate together. */
		for (int i = 0; i < n && kind; i++)
			kind[i] = m[i].data_started ? -1
				  : life_start(&m[i]) && now - life_start(&m[i]) > cfg->retry_lifetime
				  ? -2 : i;
		for (int i = 0; r == 0 && i < n; i++) {
			struct outbox_msg v;
			const struct outbox_msg *x = &v;

			if (done[i])
				continue;
			set_view(m, n, i, kind, done, grp, &v);
			if (x->data_started) {
				/* Its data may have reached the server: in doubt, resent
				 * with the same identity (or dead, past its lifetime). */
				r = outbox_done_tx(db, x, OUTBOX_INDOUBT,
						   "avbröts efter att meddelandet börjat skickas",
						   OUTBOX_AT_ONCE, now, cfg, NULL, e);
				rec->in_doubt += r == 0 ? rows_of(x) : 0;
			} else if (kind[i] == -2) {
				r = mark_dead(db, x, "avbröts före sändning; livslängden har passerat",
					      ts, 0, cfg, e);
				rec->dead += r == 0 ? rows_of(x) : 0;
			} else {
				/* Never started: due again at once, not in doubt. The
				 * attempt counts, so a process that keeps dying still
				 * brings the message to its lifetime's end. */
				r = exec_bound(db, "UPDATE outbox SET state = 'failed',"
						   " next_attempt_at = ?2, last_error = ?3,"
						   " data_started = 0, claim_owner = NULL,"
						   " lease_until = NULL WHERE id = ?1", e, "iss", x->id,
					       ts, "avbröts före sändning");
				rec->released += r == 0;
			}
		}
		if (r == 0)
			r = db_commit(db, e);
		if (r < 0)
			db_rollback(db);
		free(kind);
		free(done);
		free(grp);
		kind = NULL;
		done = NULL;
		grp = NULL;
		outbox_msgs_free(m, n);
	} while (r == 0 && n == RECOVER_MAX);
	return r;
}

#define SQL_EXPIRE \
	"SELECT " MSG_COLUMNS ", data_started, digest_id FROM outbox WHERE state = 'failed'" \
	" AND due_at < ?1 AND created_at < ?1 ORDER BY id LIMIT ?2"

int outbox_expire(struct dbi *db, time_t now, const struct config *cfg, int *dead, struct err *e)
{
	struct outbox_msg *m = NULL, *grp = NULL;
	char ts[21], limit[21], *done = NULL;
	int n = 0, r, *kind = NULL, pg = dbi_backend(db) == DBI_PG;

	*dead = 0;
	cal_iso_utc(now, ts);
	cal_iso_utc(now - cfg->retry_lifetime, limit);
	/* PostgreSQL: inside the transaction, the rows locked (a claim of
	 * another daemon may hold some: they are its now). */
	r = pg ? claim_begin(db, e) : 0;
	if (r == 0)
		r = load_rows(db, pg ? SQL_EXPIRE SKIP_LOCKED : SQL_EXPIRE, RECOVER_MAX, &m, &n, e,
			      "si", limit, (long long)RECOVER_MAX);
	if (r < 0 || n == 0) {
		db_rollback(db);
		outbox_msgs_free(m, n);
		return r;
	}
	kind = calloc((size_t)n, sizeof *kind); /* all alike: dead */
	done = calloc((size_t)n, 1);
	grp = calloc((size_t)n, sizeof *grp);
	r = !kind || !done || !grp ? err_set(e, ERR_NOMEM, "out of memory")
	    : pg ? 0 : db_begin(db, e);
	for (int i = 0; r == 0 && i < n; i++) {
		char why[300];
		struct dbi_stmt *st = NULL;
		const char *last = NULL;
		struct outbox_msg v;

		if (done[i])
			continue;
		set_view(m, n, i, kind, done, grp, &v);
		r = query_row(db, &st, e, "SELECT last_error FROM outbox WHERE id = ?1", "i",
			      m[i].id);
		if (r == DBI_ROW)
			last = dbi_column_text(st, 0);
		snprintf(why, sizeof why, "livslängden har passerat; senaste fel: %s",
			 last ? last : "-");
		dbi_finalize(st);
		if (r < 0)
			break;
		r = mark_dead(db, &v, why, ts, 0, cfg, e);
		*dead += r == 0 ? rows_of(&v) : 0;
	}
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0) {
		db_rollback(db);
		*dead = 0;
	}
	free(kind);
	free(done);
	free(grp);
	outbox_msgs_free(m, n);
	return r;
}

int outbox_sent_since(struct dbi *db, const char *address, time_t t, int *n, struct err *e)
{
	struct dbi_stmt *st = NULL;
	char ts[21];
	/* Messages, not audit rows: a digest (or a message naming several
	 * children) has one audit row per child, all with one Message-ID. */
	int r = query_row(db, &st, e, "SELECT count(DISTINCT coalesce(message_id, '#' || outbox_id))"
				      " FROM audit WHERE at > ?1"
				      " AND (CAST(?2 AS TEXT) IS NULL OR address = ?2)",
			  "ss", cal_iso_utc(t, ts), address && *address ? address : NULL);

	*n = r == DBI_ROW ? dbi_column_int(st, 0) : 0;
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* A message's state as a word in a sentence, in the reader's language (the
 * codes stay as they are in tables and options). */
static const char *state_word(const char *state)
{
	static const char *const words[][2] = {
		{ "pending", N_("waiting") },  { "sending", N_("being sent") },
		{ "sent", N_("sent") },        { "failed", N_("waiting for a retry") },
		{ "dead", N_("dead") },        { "cancelled", N_("cancelled") },
	};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(state, words[i][0]) == 0)
			return _(words[i][1]);
	return state;
}

int outbox_retry(struct dbi *db, long long id, struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r = query_row(db, &st, e, "SELECT state FROM outbox WHERE id = ?1", "i", id);

	if (r == DBI_DONE)
		r = err_set(e, ERR_NOTFOUND, "no message with id %lld", id);
	else if (r == DBI_ROW && strcmp(dbi_column_text(st, 0), "dead") != 0)
		r = err_set(e, ERR_INVALID, "message %lld is %s, not dead", id,
			    state_word(dbi_column_text(st, 0)));
	dbi_finalize(st);
	if (r < 0)
		return r;
	return exec_bound(db, "UPDATE outbox SET state = 'pending', next_attempt_at = NULL"
			      " WHERE id = ?1 AND state = 'dead'", e, "i", id);
}

int outbox_next_due(struct dbi *db, const char *channel, time_t now, time_t *t, int *any,
		    struct err *e)
{
	struct dbi_stmt *st = NULL;
	char day[DATE_LEN];
	int r = query_row(db, &st, e,
			  "SELECT min(CASE WHEN next_attempt_at > due_at THEN next_attempt_at"
			  " ELSE due_at END) FROM outbox WHERE state IN ('pending','failed')"
			  " AND (CAST(?1 AS TEXT) IS NULL OR channel = ?1)" DISCLOSABLE("?2"),
			  "ss", channel && *channel ? channel : NULL,
			  date_format(cal_today(now), day));

	*any = 0;
	if (r == DBI_ROW && !dbi_column_is_null(st, 0))
		*any = cal_parse_instant(dbi_column_text(st, 0), t) == 0;
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

int outbox_counts(struct dbi *db, int counts[OB_NSTATES], struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r = query_row(db, &st, e, "SELECT state, count(*) FROM outbox GROUP BY state", "");

	memset(counts, 0, OB_NSTATES * sizeof counts[0]);
	for (; r == DBI_ROW; r = dbi_step(st, e))
		for (int i = 0; i < OB_NSTATES; i++)
			if (strcmp(outbox_state_names[i], dbi_column_text(st, 0)) == 0)
				counts[i] = dbi_column_int(st, 1);
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* Which report a row can take: OUTBOX_DLR_RECORDED when it is a sent SMS
 * without one (and the gateway's id matches). */
static int dlr_check(struct dbi *db, long long id, const char *provider_ref,
		     enum outbox_dlr *what, struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r = query_row(db, &st, e, "SELECT state, channel, delivery, provider_id FROM outbox"
				      " WHERE id = ?1", "i", id);
	const char *state, *prov, *sp;

	*what = OUTBOX_DLR_UNKNOWN;
	if (r == DBI_ROW && strcmp(dbi_column_text(st, 1), "sms") == 0) {
		state = dbi_column_text(st, 0);
		prov = dbi_column_text(st, 3);
		/* provider_id is "STATUS ID" as the gateway answered; a report
		 * may overtake the answer (a fast SMS centre), so a message
		 * still in sending, without one yet, takes it too. */
		sp = prov ? strchr(prov, ' ') : NULL;
		if (provider_ref && prov && (!sp || strcmp(sp + 1, provider_ref) != 0))
			*what = OUTBOX_DLR_UNKNOWN;
		else if (provider_ref && !prov && strcmp(state, "sending") != 0)
			*what = OUTBOX_DLR_UNKNOWN;
		else if (!dbi_column_is_null(st, 2))
			*what = OUTBOX_DLR_REPEATED;
		else if (strcmp(state, "sent") != 0 && strcmp(state, "sending") != 0)
			*what = OUTBOX_DLR_NOT_SENT;
		else
			*what = OUTBOX_DLR_RECORDED;
	}
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* An undeliverable SMS: its text by e-mail, or an admin alert. */
static int dlr_fallback(struct dbi *db, long long id, const char *ts, const struct config *cfg,
			struct err *e)
{
	static const char why[] = "operatören rapporterar att SMS:et inte nådde telefonen";
	struct outbox_msg *m = NULL;
	int n = 0, fell_back = 0, r;

	/* Only a sent one: a report on a row still being sent is recorded and
	 * acted on when the send's result comes (outbox_done_tx). */
	r = load_rows(db, "SELECT " MSG_COLUMNS " FROM outbox WHERE id = ?1 AND state = 'sent'"
			  " LIMIT ?2", 1, &m, &n, e, "ii", id, 1LL);
	if (r == 0 && n == 1)
		r = queue_fallback(db, &m[0], why, ts, cfg, &fell_back, e);
	if (r == 0 && n == 1 && !fell_back)
		r = queue_alert(db, &m[0], why, ts, cfg, e);
	outbox_msgs_free(m, n);
	return r;
}

int outbox_delivery_report(struct dbi *db, long long id, const char *provider_ref, int delivered,
			   time_t now, const struct config *cfg, enum outbox_dlr *what,
			   struct err *e)
{
	char ts[21];
	int r = db_begin(db, e);

	*what = OUTBOX_DLR_UNKNOWN;
	if (r < 0)
		return r;
	cal_iso_utc(now, ts);
	r = dlr_check(db, id, provider_ref, what, e);
	if (r == 0 && *what == OUTBOX_DLR_RECORDED)
		r = exec_bound(db, "UPDATE outbox SET delivery = ?2, delivery_at = ?3 WHERE id = ?1",
			       e, "iss", id, delivered ? "delivered" : "undeliverable", ts);
	if (r == 0 && *what == OUTBOX_DLR_RECORDED && !delivered)
		r = dlr_fallback(db, id, ts, cfg, e);
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0)
		db_rollback(db);
	return r;
}

int outbox_delivery_counts(struct dbi *db, long long *delivered, long long *undeliverable,
			   struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r = query_row(db, &st, e, "SELECT count(CASE WHEN delivery = 'delivered' THEN 1 END),"
				      " count(CASE WHEN delivery = 'undeliverable' THEN 1 END)"
				      " FROM outbox WHERE delivery IS NOT NULL", "");

	*delivered = *undeliverable = 0;
	if (r == DBI_ROW) {
		*delivered = dbi_column_int64(st, 0);
		*undeliverable = dbi_column_int64(st, 1);
	}
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

