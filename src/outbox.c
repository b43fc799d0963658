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

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
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

static int load_row(sqlite3_stmt *st, struct outbox_msg *m)
{
	time_t t = 0;

	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(st, 0);
	m->key = col_dup(st, 1);
	m->rule = col_dup(st, 2);
	m->child_id = sqlite3_column_int64(st, 3);
	m->recipient_id = sqlite3_column_int64(st, 4);
	m->channel = col_dup(st, 5);
	m->address = col_dup(st, 6);
	m->subject = col_dup(st, 7);
	m->body = col_dup(st, 8);
	m->categories = col_dup(st, 9);
	m->message_id = col_dup(st, 10);
	m->attempts = sqlite3_column_int(st, 11) + 1;
	m->in_doubt = sqlite3_column_int(st, 12);
	if (sqlite3_column_text(st, 13))
		cal_parse_instant((const char *)sqlite3_column_text(st, 13), &t);
	m->created = t;
	t = 0;
	if (sqlite3_column_text(st, 14))
		cal_parse_instant((const char *)sqlite3_column_text(st, 14), &t);
	m->due = t;
	m->digest_key = col_dup(st, 15);
	if (sqlite3_column_count(st) > 16)
		m->data_started = sqlite3_column_int(st, 16);
	if (sqlite3_column_count(st) > 17 && sqlite3_column_text(st, 17))
		m->digest_id = col_dup(st, 17);
	return m->key && m->rule && m->channel && m->address && m->body && m->message_id ? 0
											 : ERR_NOMEM;
}

#define MSG_COLUMNS "id, key, rule, child_id, recipient_id, channel, address, subject, body," \
		    " categories, message_id, attempts, in_doubt, created_at, due_at, digest_key"

/* The recipient's name for a digest's greeting: the staff member's, or the
 * unit's whose mailbox it is. */
static int digest_name(struct dbi *db, const struct outbox_msg *m, char *buf, size_t n,
		       struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r = db_prepare(DB_SQ(db), "SELECT coalesce((SELECT name FROM staff WHERE id = ?1),"
			       " (SELECT name FROM unit WHERE email = ?2 ORDER BY id LIMIT 1), '')",
			   &st, e), rc;

	buf[0] = '\0';
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, m->recipient_id);
	sqlite3_bind_text(st, 2, m->address, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
	else
		r = db_fail(DB_SQ(db), rc, "outbox digest", e);
	sqlite3_finalize(st);
	return r;
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
 * per key (INSERT OR IGNORE); its items go one at a time meanwhile. */
static int alert_unwritable(struct dbi *db, const struct outbox_msg *parts, int n,
			    const char *why, const struct config *cfg, time_t now,
			    struct err *e)
{
	char key[400], mid[MSGID_SIZE], ts[21], subject[160], body[1024];
	sqlite3_stmt *st = NULL;
	int r, rc;

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
	r = db_prepare(DB_SQ(db), "INSERT OR IGNORE INTO outbox(key, rule, channel, address, subject,"
			   " body, categories, message_id, due_at, state, created_at, origin)"
			   " VALUES (?1, 'admin_alert', 'email', ?2, ?3, ?4, 'meddelandeid,regel',"
			   " ?5, ?6, 'pending', ?6, 'alert')", &st, e);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cfg->admin_email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, cal_iso_utc(now, ts), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = db_fail(DB_SQ(db), rc, "outbox digest", e);
	sqlite3_finalize(st);
	return r;
}

/* Claim the next set of m's digest key (m a due row of it) as one message
 * in m: the items claimed before in one set (outbox.digest_id) again as
 * that set, else every due item not yet claimed. The set keeps, or gets
 * and stores, its Message-ID; one item goes with its own text (and its own
 * Message-ID when it was never in a set), several as the digest with
 * m->parts the items. 1 when claimed; 0 when m goes on its own (the
 * caller claims it): nothing of the key is due. */
static int gather(struct dbi *db, struct outbox_msg *m, sqlite3_stmt *items, sqlite3_stmt *upd,
		  const struct templates *tpl, const struct config *cfg, time_t now,
		  struct err *e)
{
	struct outbox_msg *parts = NULL;
	struct digest_item *di = NULL;
	char name[256], mid[MSGID_SIZE], *subject = NULL, *body = NULL;
	int cnt = 0, cap = 0, rc, r = 0, one = 0;

	sqlite3_bind_text(items, 2, m->digest_key, -1, SQLITE_STATIC);
	/* Sets claimed before first, each together (by digest_id). */
	while ((rc = sqlite3_step(items)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(items, 17);

		if (cnt > 0 && !same_or_null(d, parts[0].digest_id)) {
			rc = SQLITE_DONE;
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
		    (sqlite3_column_text(items, 18) &&
		     !(parts[cnt - 1].deadline = col_dup(items, 18)))) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(DB_SQ(db), rc, "outbox claim", e);
	sqlite3_reset(items);
	if (r < 0 || cnt == 0)
		goto out;
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
		sqlite3_bind_int64(upd, 1, parts[i].id);
		sqlite3_bind_text(upd, 4, mid, -1, SQLITE_STATIC);
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		sqlite3_bind_null(upd, 4);
		if (rc != SQLITE_DONE)
			r = db_fail(DB_SQ(db), rc, "outbox claim", e);
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

int outbox_claim_digests(struct dbi *db, time_t now, int max, const char *channel,
			 const char *owner, time_t lease_until, const struct templates *tpl,
			 const struct config *cfg, struct outbox_msg **msgs, int *n,
			 struct err *e)
{
	sqlite3_stmt *items = NULL;
	sqlite3_stmt *sel = NULL, *upd = NULL;
	struct outbox_msg *out = NULL;
	char ts[21], lease[21], day[DATE_LEN];
	int r, rc, cnt = 0;

	*msgs = NULL;
	*n = 0;
	out = calloc((size_t)max, sizeof *out);
	if (!out)
		return err_set(e, ERR_NOMEM, "out of memory");
	r = db_begin(db, e);
	if (r < 0)
		goto fail;
	r = db_prepare(DB_SQ(db), "SELECT " MSG_COLUMNS DUE_ROWS
			   " AND (?3 IS NULL OR channel = ?3)" DISCLOSABLE("?4")
			   " ORDER BY due_at, id LIMIT ?2", &sel, e);
	if (r == 0 && tpl)
		r = db_prepare(DB_SQ(db), "SELECT " MSG_COLUMNS ", 0, digest_id, deadline" DUE_ROWS
				   " AND digest_key = ?2" DISCLOSABLE("?3")
				   " ORDER BY digest_id IS NULL, digest_id, id", &items, e);
	if (r == 0)
		r = db_prepare(DB_SQ(db), "UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
				   " claim_owner = ?2, lease_until = ?3, data_started = 0,"
				   " digest_id = CASE WHEN digest_key IS NOT NULL"
				   "  THEN coalesce(digest_id, ?4, message_id) END"
				   " WHERE id = ?1", &upd, e);
	if (r < 0)
		goto fail;
	sqlite3_bind_text(sel, 1, cal_iso_utc(now, ts), -1, SQLITE_STATIC);
	sqlite3_bind_int(sel, 2, max);
	db_bind_text_or_null(sel, 3, channel);
	sqlite3_bind_text(sel, 4, date_format(cal_today(now), day), -1, SQLITE_STATIC);
	sqlite3_bind_text(upd, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(upd, 3, cal_iso_utc(lease_until, lease), -1, SQLITE_STATIC);
	if (items) {
		sqlite3_bind_text(items, 1, ts, -1, SQLITE_STATIC);
		sqlite3_bind_text(items, 3, day, -1, SQLITE_STATIC);
	}
	/* The due rows first, then their claims: a digest claims the other
	 * items of its key too, and a later row of a key already gathered is
	 * in it. */
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (load_row(sel, &out[cnt++]) < 0) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		r = db_fail(DB_SQ(db), rc, "outbox claim", e);
		goto fail;
	}
	sqlite3_finalize(sel);
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
		r = items && out[k].digest_key ? gather(db, &out[k], items, upd, tpl, cfg, now, e)
					       : 0;
		if (r < 0)
			goto fail;
		k++;
		if (r == 1)
			continue;
		sqlite3_bind_int64(upd, 1, out[k - 1].id);
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		if (rc != SQLITE_DONE) {
			r = db_fail(DB_SQ(db), rc, "outbox claim", e);
			goto fail;
		}
	}
	sqlite3_finalize(upd);
	sqlite3_finalize(items);
	sel = upd = items = NULL;
	r = db_commit(db, e);
	if (r < 0)
		goto fail;
	*msgs = out;
	*n = cnt;
	return 0;
fail:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_finalize(items);
	db_rollback(db);
	outbox_msgs_free(out, max);
	return r;
}

/* Run sql with arguments by fmt: 'i' long long, 's' text (NULL = NULL).
 * keep: the statement stays prepared on the connection for the next call
 * (the statements every delivered message runs); outbox_close_statements()
 * finalizes them before the connection closes. */
static int exec_sql(struct dbi *db, int keep, const char *sql, struct err *e, const char *fmt,
		    va_list ap)
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	if (keep)
		while ((st = sqlite3_next_stmt(DB_SQ(db), st)))
			if (!sqlite3_stmt_busy(st) && strcmp(sqlite3_sql(st), sql) == 0)
				break;
	if (!st) {
		rc = sqlite3_prepare_v3(DB_SQ(db), sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL);
		if (rc != SQLITE_OK)
			return db_fail(DB_SQ(db), rc, "outbox", e);
	}
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
		} else {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		}
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	if (keep) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
	return r;
}

static int exec_bound(struct dbi *db, const char *sql, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = exec_sql(db, 0, sql, e, fmt, ap);
	va_end(ap);
	return r;
}

static int exec_kept(struct dbi *db, const char *sql, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = exec_sql(db, 1, sql, e, fmt, ap);
	va_end(ap);
	return r;
}

void outbox_close_statements(struct dbi *db)
{
	sqlite3_stmt *st;

	while ((st = sqlite3_next_stmt(DB_SQ(db), NULL)))
		sqlite3_finalize(st);
}

/* m went out as the message with Message-ID mid (its own, or its
 * digest's); cats: what it disclosed (NULL: m's categories). */
static int mark_sent(struct dbi *db, const struct outbox_msg *m, const char *provider,
		     const char *now, int in_doubt, const char *mid, const char *cats,
		     struct err *e)
{
	int r = exec_kept(db, "UPDATE outbox SET state = 'sent', sent_at = ?2, provider_id = ?3,"
			       " last_error = NULL, next_attempt_at = NULL, data_started = 0,"
			       " claim_owner = NULL, lease_until = NULL,"
			       " in_doubt = in_doubt OR ?4 WHERE id = ?1",
			   e, "issi", m->id, now, provider, (long long)in_doubt);

	/* One audit row per child the message names (a digest names several),
	 * or one without a child. */
	if (r == 0)
		r = exec_kept(db, "INSERT INTO audit(at, outbox_id, recipient_id, address, child_id,"
				   " rule, channel, provider_id, categories, message_id) SELECT ?1, ?2,"
				   " nullif(?3, 0), ?4, c, ?6, ?7, ?8, ?9, ?10 FROM"
				   " (SELECT child_id AS c FROM outbox_child WHERE outbox_id = ?2"
				   "  UNION ALL SELECT nullif(?5, 0) WHERE NOT EXISTS"
				   "  (SELECT 1 FROM outbox_child WHERE outbox_id = ?2))",
			       e, "siisisssss", now, m->id, m->recipient_id, m->address,
			       m->child_id, m->rule, m->channel, provider,
			       cats ? cats : m->categories ? m->categories : "", mid);
	return r;
}

/* One alert for m; a digest's names each of its items (one retry each). */
static int queue_alert(struct dbi *db, const struct outbox_msg *m, const char *why,
		       const char *now, const struct config *cfg, struct err *e)
{
	char key[64], mid[MSGID_SIZE], subject[160];
	char *body, *ids = sqlite3_mprintf("%lld", m->id), *retry = sqlite3_mprintf("%lld", m->id);
	int r;

	for (int i = 1; ids && retry && m->parts && i < m->n_parts; i++) {
		char *a = sqlite3_mprintf("%s, %lld", ids, m->parts[i].id);
		char *b = sqlite3_mprintf("%s\n  backactl retry %lld", retry, m->parts[i].id);

		sqlite3_free(ids);
		sqlite3_free(retry);
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
		? sqlite3_mprintf("Till administratören för Backa barnet,\n\n"
				  "En sammanställning (regel %s, kanal %s, Message-ID %s) med\n"
				  "meddelandena %s kunde inte levereras efter %d försök och har gett upp.\n\n"
				  "Senaste fel: %s\n\n"
				  "Kontrollera mottagarens adress eller förbindelsen och köa om dem med:\n"
				  "  backactl retry %s\n\n--\nDetta meddelande skickades automatiskt av backad.\n",
				  m->rule, m->channel, m->message_id, ids, m->attempts, why, retry)
		: sqlite3_mprintf("Till administratören för Backa barnet,\n\n"
				  "Meddelande %lld (regel %s, kanal %s) kunde inte levereras efter %d försök\n"
				  "och har gett upp.\n\nSenaste fel: %s\n\n"
				  "Kontrollera mottagarens adress eller förbindelsen och köa om det med:\n"
				  "  backactl retry %lld\n\n--\nDetta meddelande skickades automatiskt av backad.\n",
				  m->id, m->rule, m->channel, m->attempts, why, m->id);
	r = body ? exec_bound(db, "INSERT OR IGNORE INTO outbox(key, rule, channel, address, subject,"
			      " body, categories, message_id, due_at, state, created_at, origin)"
			      " VALUES (?1, 'admin_alert', 'email', ?2, ?3, ?4, 'meddelandeid,regel',"
			      " ?5, ?6, 'pending', ?6, 'alert')",
			  e, "ssssss", key, cfg->admin_email, subject, body, mid, now)
		 : err_set(e, ERR_NOMEM, "out of memory");
	sqlite3_free(ids);
	sqlite3_free(retry);
	sqlite3_free(body);
	return r;
}

/* The other channel's address of m's recipient, or "" when there is none. */
static int other_address(struct dbi *db, const struct outbox_msg *m, char *buf, size_t n,
			 struct err *e)
{
	sqlite3_stmt *st = NULL;
	int sms = strcmp(m->channel, "sms") == 0, r, rc;

	buf[0] = '\0';
	if (!m->recipient_id || strstr(m->key, "/fallback"))
		return 0;
	r = db_prepare(DB_SQ(db), sms ? "SELECT email FROM staff WHERE id = ?1 AND active = 1"
			       : "SELECT mobile FROM staff WHERE id = ?1 AND active = 1", &st, e);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, m->recipient_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_fail(DB_SQ(db), rc, "outbox fallback", e);
	sqlite3_finalize(st);
	return r;
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
	r = exec_bound(db, "INSERT OR IGNORE INTO outbox(key, rule, child_id, recipient_id,"
			   " channel, address, subject, body, categories, message_id, due_at,"
			   " state, created_at, origin, subject_key) VALUES (?1, ?2, nullif(?3, 0),"
			   " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', ?11, 'fallback',"
			   " (SELECT subject_key FROM outbox WHERE id = ?12))",
		       e, "ssiisssssssi", key, m->rule, m->child_id, m->recipient_id,
		       sms ? "email" : "sms", addr,
		       sms ? "Backa barnet: meddelande som inte kunde skickas som SMS" : NULL,
		       body, !sms ? "" : m->parts ? "antal" : m->categories, mid, now, m->id);
	/* The SMS's text goes by e-mail: it names the same children (an SMS
	 * digest names none: it told counts). */
	if (r == 0 && sms && !m->parts)
		r = exec_bound(db, "INSERT OR IGNORE INTO outbox_child(outbox_id, child_id)"
				   " SELECT (SELECT id FROM outbox WHERE key = ?1), child_id"
				   " FROM outbox_child WHERE outbox_id = ?2", e, "si", key, m->id);
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
	for (int i = 0; r == 0 && i < (m->parts ? m->n_parts : 1); i++)
		r = exec_bound(db, "UPDATE outbox SET state = 'dead', last_error = ?2,"
				   " next_attempt_at = NULL, in_doubt = in_doubt OR ?3,"
				   " data_started = 0, claim_owner = NULL, lease_until = NULL"
				   " WHERE id = ?1", e, "isi", m->parts ? m->parts[i].id : m->id,
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
	sqlite3_stmt *st = NULL;
	int r, rc;

	*said = 0;
	if (strcmp(m->channel, "sms") != 0)
		return 0;
	r = db_prepare(DB_SQ(db), "SELECT delivery FROM outbox WHERE id = ?1", &st, e);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, m->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		*said = strcmp((const char *)sqlite3_column_text(st, 0), "delivered") == 0 ? 1 : -1;
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	sqlite3_finalize(st);
	return r;
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

		for (int i = 0; r == 0 && i < (m->parts ? m->n_parts : 1); i++)
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
		for (int i = 0; r == 0 && state != OB_DEAD && i < (m->parts ? m->n_parts : 1); i++) {
			const struct outbox_msg *x = m->parts ? &m->parts[i] : m;

			r = exec_kept(db, "UPDATE outbox SET state = 'failed', last_error = ?2,"
					   " next_attempt_at = ?3, in_doubt = in_doubt OR ?4,"
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

int outbox_started_tx(struct dbi *db, const struct outbox_msg *m, struct err *e)
{
	int r = 0;

	for (int i = 0; r == 0 && i < (m->parts ? m->n_parts : 1); i++)
		r = exec_kept(db, "UPDATE outbox SET data_started = 1 WHERE id = ?1"
				   " AND state = 'sending'",
			      e, "i", m->parts ? m->parts[i].id : m->id);
	return r;
}

int outbox_release_tx(struct dbi *db, const struct outbox_msg *m, time_t until, struct err *e)
{
	char ts[21];
	int r = 0;

	cal_iso_utc(until, ts);
	for (int i = 0; r == 0 && i < (m->parts ? m->n_parts : 1); i++)
		r = exec_kept(db, "UPDATE outbox SET state = CASE WHEN attempts > 1 THEN 'failed'"
				   " ELSE 'pending' END, attempts = attempts - 1,"
				   " next_attempt_at = ?2, data_started = 0, claim_owner = NULL,"
				   " lease_until = NULL WHERE id = ?1 AND state = 'sending'",
			      e, "is", m->parts ? m->parts[i].id : m->id, ts);
	return r;
}

int outbox_defer(struct dbi *db, const struct outbox_msg *m, time_t until, struct err *e)
{
	return outbox_release_tx(db, m, until, e);
}

/* The rows a query selects, loaded (at most max). */
static int load_rows(struct dbi *db, const char *sql, const char *p1, const char *p2, int max,
		     struct outbox_msg **msgs, int *n, struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct outbox_msg *out = calloc((size_t)max, sizeof *out);
	int r, rc, cnt = 0;

	*msgs = NULL;
	*n = 0;
	if (!out)
		return err_set(e, ERR_NOMEM, "out of memory");
	r = db_prepare(DB_SQ(db), sql, &st, e);
	if (r < 0) {
		free(out);
		return r;
	}
	db_bind_text_or_null(st, 1, p1);
	db_bind_text_or_null(st, 2, p2);
	sqlite3_bind_int(st, 3, max);
	while (cnt < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (load_row(st, &out[cnt++]) < 0) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (r == 0 && cnt < max && rc != SQLITE_DONE)
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	sqlite3_finalize(st);
	if (r < 0) {
		outbox_msgs_free(out, cnt);
		return r;
	}
	*msgs = out;
	*n = cnt;
	return 0;
}

#define RECOVER_MAX 500

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

int outbox_recover(struct dbi *db, time_t now, const char *owner, const struct config *cfg,
		   struct outbox_recovery *rec, struct err *e)
{
	struct outbox_msg *m = NULL, *grp = NULL;
	char ts[21], *done = NULL;
	int n = 0, r, *kind = NULL;

	memset(rec, 0, sizeof *rec);
	cal_iso_utc(now, ts);
	do {
		/* Claims of another owner (gone: we hold the database's lock), or
		 * whose lease ran out (nothing in flight holds them any more). */
		r = load_rows(db, "SELECT " MSG_COLUMNS ", data_started, digest_id FROM outbox"
				  " WHERE state = 'sending' AND (claim_owner IS NULL"
				  " OR claim_owner <> ?1 OR lease_until IS NULL OR lease_until < ?2)"
				  " ORDER BY id LIMIT ?3", owner, ts, RECOVER_MAX, &m, &n, e);
		if (r < 0)
			return r;
		if (n == 0) {
			free(m);
			break;
		}
		kind = calloc((size_t)n, sizeof *kind);
		done = calloc((size_t)n, 1);
		grp = calloc((size_t)n, sizeof *grp);
		r = kind && done && grp ? db_begin(db, e) : err_set(e, ERR_NOMEM, "out of memory");
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
				rec->in_doubt += r == 0 ? (x->parts ? x->n_parts : 1) : 0;
			} else if (kind[i] == -2) {
				r = mark_dead(db, x, "avbröts före sändning; livslängden har passerat",
					      ts, 0, cfg, e);
				rec->dead += r == 0 ? (x->parts ? x->n_parts : 1) : 0;
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

int outbox_expire(struct dbi *db, time_t now, const struct config *cfg, int *dead, struct err *e)
{
	struct outbox_msg *m = NULL, *grp = NULL;
	char ts[21], limit[21], *done = NULL;
	int n = 0, r, *kind = NULL;

	*dead = 0;
	cal_iso_utc(now, ts);
	cal_iso_utc(now - cfg->retry_lifetime, limit);
	r = load_rows(db, "SELECT " MSG_COLUMNS ", data_started, digest_id FROM outbox"
			  " WHERE state = 'failed' AND due_at < ?1 AND created_at < ?1"
			  " AND ?2 IS NOT NULL ORDER BY id LIMIT ?3", limit, ts, RECOVER_MAX, &m, &n, e);
	if (r < 0 || n == 0) {
		outbox_msgs_free(m, n);
		return r;
	}
	kind = calloc((size_t)n, sizeof *kind); /* all alike: dead */
	done = calloc((size_t)n, 1);
	grp = calloc((size_t)n, sizeof *grp);
	r = kind && done && grp ? db_begin(db, e) : err_set(e, ERR_NOMEM, "out of memory");
	for (int i = 0; r == 0 && i < n; i++) {
		char why[300];
		sqlite3_stmt *st = NULL;
		const char *last = NULL;
		struct outbox_msg v;

		if (done[i])
			continue;
		set_view(m, n, i, kind, done, grp, &v);
		r = db_prepare(DB_SQ(db), "SELECT last_error FROM outbox WHERE id = ?1", &st, e);
		if (r < 0)
			break;
		sqlite3_bind_int64(st, 1, m[i].id);
		if (sqlite3_step(st) == SQLITE_ROW)
			last = (const char *)sqlite3_column_text(st, 0);
		snprintf(why, sizeof why, "livslängden har passerat; senaste fel: %s",
			 last ? last : "-");
		sqlite3_finalize(st);
		r = mark_dead(db, &v, why, ts, 0, cfg, e);
		*dead += r == 0 ? (v.parts ? v.n_parts : 1) : 0;
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
	sqlite3_stmt *st = NULL;
	char ts[21];
	/* Messages, not audit rows: a digest (or a message naming several
	 * children) has one audit row per child, all with one Message-ID. */
	int r = db_prepare(DB_SQ(db), "SELECT count(DISTINCT coalesce(message_id, '#' || outbox_id))"
			       " FROM audit WHERE at > ?1 AND (?2 IS NULL OR address = ?2)",
			   &st, e), rc;

	*n = 0;
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, cal_iso_utc(t, ts), -1, SQLITE_TRANSIENT);
	db_bind_text_or_null(st, 2, address);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int(st, 0);
	else
		r = db_fail(DB_SQ(db), rc, "audit", e);
	sqlite3_finalize(st);
	return r;
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
	sqlite3_stmt *st = NULL;
	int r = db_prepare(DB_SQ(db), "SELECT state FROM outbox WHERE id = ?1", &st, e), rc;

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = err_set(e, ERR_NOTFOUND, "no message with id %lld", id);
	else if (rc != SQLITE_ROW)
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	else if (strcmp((const char *)sqlite3_column_text(st, 0), "dead") != 0)
		r = err_set(e, ERR_INVALID, "message %lld is %s, not dead", id,
			    state_word((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	return exec_bound(db, "UPDATE outbox SET state = 'pending', next_attempt_at = NULL"
			      " WHERE id = ?1 AND state = 'dead'", e, "i", id);
}

int outbox_next_due(struct dbi *db, const char *channel, time_t now, time_t *t, int *any,
		    struct err *e)
{
	sqlite3_stmt *st = NULL;
	char day[DATE_LEN];
	int r = db_prepare(DB_SQ(db), "SELECT min(max(due_at, coalesce(next_attempt_at, due_at)))"
			       " FROM outbox WHERE state IN ('pending','failed')"
			       " AND (?1 IS NULL OR channel = ?1)" DISCLOSABLE("?2"), &st, e), rc;

	*any = 0;
	if (r < 0)
		return r;
	db_bind_text_or_null(st, 1, channel);
	sqlite3_bind_text(st, 2, date_format(cal_today(now), day), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*any = cal_parse_instant((const char *)sqlite3_column_text(st, 0), t) == 0;
	else if (rc != SQLITE_ROW)
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	sqlite3_finalize(st);
	return r;
}

int outbox_counts(struct dbi *db, int counts[OB_NSTATES], struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r = db_prepare(DB_SQ(db), "SELECT state, count(*) FROM outbox GROUP BY state", &st, e), rc;

	memset(counts, 0, OB_NSTATES * sizeof counts[0]);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; i < OB_NSTATES; i++)
			if (strcmp(outbox_state_names[i], (const char *)sqlite3_column_text(st, 0)) == 0)
				counts[i] = sqlite3_column_int(st, 1);
	if (rc != SQLITE_DONE)
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	sqlite3_finalize(st);
	return r;
}

/* Which report a row can take: OUTBOX_DLR_RECORDED when it is a sent SMS
 * without one (and the gateway's id matches). */
static int dlr_check(struct dbi *db, long long id, const char *provider_ref,
		     enum outbox_dlr *what, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r = db_prepare(DB_SQ(db), "SELECT state, channel, delivery, provider_id FROM outbox"
			       " WHERE id = ?1", &st, e), rc;
	const char *state, *prov, *sp;

	*what = OUTBOX_DLR_UNKNOWN;
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 1), "sms") == 0) {
		state = (const char *)sqlite3_column_text(st, 0);
		prov = (const char *)sqlite3_column_text(st, 3);
		/* provider_id is "STATUS ID" as the gateway answered; a report
		 * may overtake the answer (a fast SMS centre), so a message
		 * still in sending, without one yet, takes it too. */
		sp = prov ? strchr(prov, ' ') : NULL;
		if (provider_ref && prov && (!sp || strcmp(sp + 1, provider_ref) != 0))
			*what = OUTBOX_DLR_UNKNOWN;
		else if (provider_ref && !prov && strcmp(state, "sending") != 0)
			*what = OUTBOX_DLR_UNKNOWN;
		else if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			*what = OUTBOX_DLR_REPEATED;
		else if (strcmp(state, "sent") != 0 && strcmp(state, "sending") != 0)
			*what = OUTBOX_DLR_NOT_SENT;
		else
			*what = OUTBOX_DLR_RECORDED;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	}
	sqlite3_finalize(st);
	return r;
}

/* An undeliverable SMS: its text by e-mail, or an admin alert. */
static int dlr_fallback(struct dbi *db, long long id, const char *ts, const struct config *cfg,
			struct err *e)
{
	static const char why[] = "operatören rapporterar att SMS:et inte nådde telefonen";
	struct outbox_msg *m = NULL;
	char num[24];
	int n = 0, fell_back = 0, r;

	snprintf(num, sizeof num, "%lld", id);
	/* Only a sent one: a report on a row still being sent is recorded and
	 * acted on when the send's result comes (outbox_done_tx). */
	r = load_rows(db, "SELECT " MSG_COLUMNS " FROM outbox WHERE id = CAST(?1 AS INTEGER)"
			  " AND state = 'sent' AND ?2 IS NULL LIMIT ?3", num, NULL, 1, &m, &n, e);
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
	sqlite3_stmt *st = NULL;
	int r = db_prepare(DB_SQ(db), "SELECT count(delivery = 'delivered' OR NULL),"
			       " count(delivery = 'undeliverable' OR NULL) FROM outbox"
			       " WHERE delivery IS NOT NULL", &st, e), rc;

	*delivered = *undeliverable = 0;
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*delivered = sqlite3_column_int64(st, 0);
		*undeliverable = sqlite3_column_int64(st, 1);
	} else {
		r = db_fail(DB_SQ(db), rc, "outbox", e);
	}
	sqlite3_finalize(st);
	return r;
}

