/* deliver.c - the per-channel pipelines: claiming, handing batches to the
 * transports, and recording what they report. */
#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "db.h"
#include "outbox.h"

int deliver_sms_allowed(const struct config *cfg, time_t t)
{
	int day, minute;

	cal_utc_to_local(t, &day, &minute);
	return cal_is_workday(day) && minute >= cfg->sms_from && minute < cfg->sms_until;
}

time_t deliver_sms_next(const struct config *cfg, time_t t)
{
	int day, minute;
	time_t next = t;

	if (deliver_sms_allowed(cfg, t))
		return t;
	cal_utc_to_local(t, &day, &minute);
	if (!cal_is_workday(day) || minute >= cfg->sms_until)
		day = cal_next_workday(day + 1);
	cal_local_to_utc(day, cfg->sms_from, &next);
	return next;
}

long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the synchronous adapter ---- */

struct sync_call {
	struct transport *t;
	struct batch *b;
};

static void sync_done(void *arg, int i)
{
	struct sync_call *c = arg;

	c->t->ev->done(c->t, c->b, i);
}

static int sync_free_slots(struct transport *t)
{
	(void)t;
	return 1;
}

static int sync_busy(struct transport *t)
{
	(void)t;
	return 0;
}

/* Send b now that the start of each of its messages is recorded. */
static void sync_send(struct transport *t, struct batch *b)
{
	struct sync_call c = { t, b };

	for (int i = 0; i < b->n; i++) {
		memset(&b->res[i], 0, sizeof b->res[i]);
		b->res[i].retry_after = -1;
		b->res[i].code = ERR_TEMPFAIL;
		snprintf(b->res[i].detail, sizeof b->res[i].detail, "not attempted");
	}
	b->priv = NULL;
	t->sync.send(t->sync.ctx, b->msgs, b->n, b->res, sync_done, &c);
	t->ev->finished(t, b);
}

/* Like any other channel's, each message's start is recorded before it is
 * written (a spool file): a crash after the write leaves it in doubt. The
 * batch goes once every start is. */
static void sync_start(struct transport *t, struct batch *b)
{
	b->priv = t;
	for (int i = 0; i < b->n; i++)
		t->ev->started(t, b, i);
}

static int sync_fds(struct transport *t, struct pollfd *p, int max, long long *deadline)
{
	(void)t, (void)p, (void)max, (void)deadline;
	return 0;
}

static void sync_run(struct transport *t, struct pollfd *p, int n)
{
	(void)t, (void)p, (void)n;
}

static void sync_go(struct transport *t, struct batch *b, int i)
{
	(void)i;
	if (b->priv && b->nstarted == b->n)
		sync_send(t, b);
}

static void sync_nothing(struct transport *t)
{
	(void)t;
}

void transport_sync(struct transport *t, const struct channel *ch, int batch_max)
{
	memset(t, 0, sizeof *t);
	t->name = ch->name;
	t->sync = *ch;
	t->batch_max = batch_max;
	t->lease_seconds = 600;
	t->free_slots = sync_free_slots;
	t->busy = sync_busy;
	t->start = sync_start;
	t->fds = sync_fds;
	t->run = sync_run;
	t->go = sync_go;
	t->drain = sync_nothing;
	t->stop = sync_nothing;
	t->free = sync_nothing;
}

/* ---- records ---- */

struct deliver_rec {
	struct batch *b;
	int i;
	char kind;   /* 'S' data phase started, 'D' result final */
	int tries;
};

/* batch->went: a message not yet told to go, told and its result out, or
 * its result in. */
enum { NOT_YET, WENT, DONE };

struct deliver_go {
	struct batch *b;
	int i;
};

static void batch_free(struct delivery *d, struct batch *b)
{
	outbox_msgs_free(b->msgs, b->n);
	free(b->res);
	free(b->went);
	free(b);
	d->batches--;
}

static void batch_release(struct delivery *d, struct batch *b)
{
	if (b->finished && b->refs == 0)
		batch_free(d, b);
}

static void push(struct delivery *d, struct batch *b, int i, char kind)
{
	if (d->nrec == d->caprec) {
		int cap = d->caprec ? d->caprec * 2 : 256;
		struct deliver_rec *n = realloc(d->recs, (size_t)cap * sizeof *n);

		if (!n) {
			/* Unrecorded: the row stays claimed until its lease ends and
			 * recovery takes it back. */
			snprintf(d->db_error, sizeof d->db_error, "out of memory recording a result");
			return;
		}
		d->recs = n;
		d->caprec = cap;
	}
	d->recs[d->nrec++] = (struct deliver_rec){ b, i, kind, 0 };
	b->refs++;
	if (kind == 'S')
		d->nstart++;
	else if (!d->done_since)
		d->done_since = mono_ms();
}

static void ev_started(struct transport *t, struct batch *b, int i)
{
	struct pipeline *p = t->arg;

	push(p->d, b, i, 'S');
}

static void ev_done(struct transport *t, struct batch *b, int i)
{
	struct pipeline *p = t->arg;

	if (b->went && b->went[i] == WENT) {
		b->went[i] = DONE;
		p->d->in_flight--;
	} else if (b->went) {
		b->went[i] = DONE; /* its result came before it was told to go */
	}
	push(p->d, b, i, 'D');
}

static void ev_finished(struct transport *t, struct batch *b)
{
	struct pipeline *p = t->arg;

	b->finished = 1;
	if (p->full)
		p->look = 1; /* a slot is free for what waited for one */
	p->full = 0;
	batch_release(p->d, b);
}

static const struct transport_events events = { ev_started, ev_done, ev_finished };

static enum outbox_result result_of(const struct send_result *r)
{
	if (r->code == 0)
		return r->in_doubt ? OUTBOX_SENT_INDOUBT : OUTBOX_SENT;
	if (r->code == ERR_PERMFAIL)
		return OUTBOX_PERMFAIL;
	return r->in_doubt ? OUTBOX_INDOUBT : OUTBOX_TEMPFAIL;
}

/* Write one record inside the caller's transaction. */
static int write_rec(struct delivery *d, const struct deliver_rec *x, time_t now,
		     enum outbox_state *state, struct err *e)
{
	const struct outbox_msg *m = &x->b->msgs[x->i];
	const struct send_result *res = &x->b->res[x->i];

	if (x->kind == 'S')
		return outbox_started_tx(d->db, m, e);
	if (res->untried)
		return outbox_release_tx(d->db, m, now, e);
	return outbox_done_tx(d->db, m, result_of(res), res->detail, res->retry_after, now, d->cfg,
			      state, e);
}

/* Let message i of b send its data (its start is recorded). */
static void let_go(struct delivery *d, struct batch *b, int i)
{
	struct pipeline *p = b->pipe;

	if (!b->priv)
		return; /* the transport is through with it */
	/* Counted while its result is out; one already in (a recipient
	 * refused before its start was recorded) is not waited for. */
	if (b->went && b->went[i] == NOT_YET) {
		b->went[i] = WENT;
		d->in_flight++;
	}
	p->t->go(p->t, b, i);
}

/* Keep message i of b from going until delivery_hold(d, 0); 0, or -1 when
 * out of memory (it goes now). */
static int hold_go(struct delivery *d, struct batch *b, int i)
{
	if (d->nheld == d->capheld) {
		int cap = d->capheld ? d->capheld * 2 : 16;
		struct deliver_go *n = realloc(d->held, (size_t)cap * sizeof *n);

		if (!n)
			return -1;
		d->held = n;
		d->capheld = cap;
	}
	d->held[d->nheld++] = (struct deliver_go){ b, i };
	b->refs++;
	return 0;
}

void delivery_hold(struct delivery *d, int on)
{
	d->holding = on;
	if (on)
		return;
	for (int k = 0; k < d->nheld; k++) {
		struct batch *b = d->held[k].b;

		let_go(d, b, d->held[k].i);
		b->refs--;
		batch_release(d, b);
	}
	d->nheld = 0;
}

int delivery_quiet(const struct delivery *d)
{
	return d->in_flight == 0 && d->nrec == 0;
}

/* What follows a record once it is written. */
static void after_rec(struct delivery *d, const struct deliver_rec *x, enum outbox_state state)
{
	struct batch *b = x->b;
	struct pipeline *p = b->pipe;
	struct deliver_stats *st = &d->st;
	const struct send_result *res = &b->res[x->i];

	if (x->kind == 'S') {
		b->nstarted++;
		if (b->priv && (!d->holding || hold_go(d, b, x->i) < 0))
			let_go(d, b, x->i);
	} else if (res->untried) {
		st->untried++;
		p->look = 1;
	} else {
		if (res->code < 0) {
			snprintf(st->last_error, sizeof st->last_error, "%s: %s", p->t->name,
				 res->detail);
			snprintf(strcmp(p->channel, "sms") == 0 ? st->sms_error : st->email_error,
				 sizeof st->email_error, "%s", res->detail);
		}
		st->sent += state == OB_SENT;
		st->failed += state == OB_FAILED;
		st->dead += state == OB_DEAD;
		if (state == OB_DEAD && d->chase) /* a fallback or an alert may be due now */
			for (int k = 0; k < d->np; k++)
				d->p[k].look = 1;
	}
	d->news = 1;
	b->refs--;
	batch_release(d, b);
}

/* Count what the list holds, for the flush policy. */
static void recount(struct delivery *d)
{
	d->nstart = 0;
	d->done_since = 0;
	for (int i = 0; i < d->nrec; i++) {
		if (d->recs[i].kind == 'S')
			d->nstart++;
		else if (!d->done_since)
			d->done_since = mono_ms();
	}
}

/* Make what was committed durable against a power loss too: fsync the
 * write-ahead log. (A commit is in the kernel at once, which is what a
 * killed process needs; the connection runs with synchronous = NORMAL.)
 * SQLite only: PostgreSQL's commit is durable when it returns. */
static void wal_sync(struct delivery *d, int force)
{
	sqlite3_file *f = NULL;

	if (!d->unsynced || (!force && mono_ms() - d->synced_at < DELIVER_SYNC_MS))
		return;
	if (dbi_sqlite(d->db) &&
	    sqlite3_file_control(dbi_sqlite(d->db), "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) ==
		    SQLITE_OK && f && f->pMethods)
		f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	d->unsynced = 0;
	d->synced_at = mono_ms();
}

/* A record the database keeps refusing: a result is recorded as one that
 * could not be (its message dead and in doubt, the administrator alerted),
 * so that its message is not sent again at every lease's end; a start lets
 * its message go all the same; an untried message leaves its row claimed
 * until the lease ends (nothing was sent). */
static void give_up(struct delivery *d, struct deliver_rec *x, const char *why, time_t now)
{
	const struct outbox_msg *m = &x->b->msgs[x->i];
	struct deliver_stats *st = &d->st;
	struct err e = { 0 };
	int r;

	if (x->kind == 'S') {
		/* Its batch waits for every start (a spool or SMS batch goes
		 * whole; a session waits for its message): it goes without its
		 * start recorded, as before starts were, rather than stop the
		 * others and itself until the lease ends. A crash before its
		 * result would send it again not marked in doubt. */
		x->b->nstarted++;
		st->unrecorded++;
		snprintf(st->unrecorded_error, sizeof st->unrecorded_error,
			 "message %lld: its start could not be recorded: %s", m->id, why);
		d->news = 1;
		if (x->b->priv)
			let_go(d, x->b, x->i);
	} else if (x->kind == 'D' && !x->b->res[x->i].untried) {
		r = db_begin(d->db, &e);
		if (r == 0)
			r = outbox_unrecordable_tx(d->db, m, why, now, d->cfg, &e);
		if (r == 0)
			r = db_commit(d->db, &e);
		if (r < 0)
			db_rollback(d->db);
		st->unrecorded++;
		st->dead += r == 0;
		d->unsynced |= r == 0;
		snprintf(st->unrecorded_error, sizeof st->unrecorded_error, "message %lld: %s%s",
			 m->id, why, r == 0 ? "" : " (nor could it be marked dead)");
		d->news = 1;
		for (int k = 0; r == 0 && d->chase && k < d->np; k++)
			d->p[k].look = 1; /* its alert is due now */
	}
	x->b->refs--;
	batch_release(d, x->b);
}

/* After a failed transaction: each record in one of its own, so one that
 * cannot be written does not hold up the others. A record waits as long as
 * the database is locked by another process or out of reach (a known
 * result must not be lost: its message would be resent); one the database
 * refuses DELIVER_RECORD_TRIES times is given up (give_up). The records to
 * try again are moved to the front of recs; returns how many. */
static int one_by_one(struct delivery *d, struct deliver_rec *recs, int n,
		      enum outbox_state *states, time_t now)
{
	int kept = 0;

	for (int i = 0; i < n; i++) {
		struct err e1 = { 0 };
		int r1 = dbi_begin_batch(d->db, &e1);

		if (r1 == 0)
			r1 = write_rec(d, &recs[i], now, &states[i], &e1);
		if (r1 == 0)
			r1 = db_commit(d->db, &e1);
		if (r1 == 0) {
			d->unsynced = 1;
			after_rec(d, &recs[i], states[i]);
			continue;
		}
		db_rollback(d->db);
		if (r1 == ERR_BUSY || r1 == ERR_IO) {
			/* Locked by another process or out of reach: the rest
			 * would wait as long each, the loop with them (a busy
			 * timeout a record). All wait for the next try. */
			while (i < n)
				recs[kept++] = recs[i++];
			break;
		}
		if (++recs[i].tries < DELIVER_RECORD_TRIES)
			recs[kept++] = recs[i];
		else
			give_up(d, &recs[i], e1.msg, now);
	}
	return kept;
}

static int flush_once(struct delivery *d, time_t now, int force, struct err *e)
{
	struct deliver_rec *recs = d->recs;
	enum outbox_state *states;
	int n = d->nrec, r, kept;

	wal_sync(d, force);
	if (n == 0 || (!force && mono_ms() < d->retry_at))
		return 0;
	/* A result alone may wait a moment for company (DELIVER_DEFER_MS); a
	 * start never waits: its session waits for it. */
	if (!force && !d->nstart && mono_ms() - d->done_since < DELIVER_DEFER_MS)
		return 0;
	states = calloc((size_t)n, sizeof *states);
	if (!states)
		return err_set(e, ERR_NOMEM, "out of memory");
	/* Detach: what the follow-ups report goes into a fresh list. */
	d->recs = NULL;
	d->nrec = d->caprec = 0;
	d->nstart = 0;
	d->done_since = 0;
	if (!d->unsynced)
		d->synced_at = mono_ms();
	/* One round trip on PostgreSQL: the server may have a message whose
	 * result is not yet recorded, and a crash until the commit resends it. */
	r = dbi_begin_batch(d->db, e);
	for (int i = 0; r == 0 && i < n; i++)
		r = write_rec(d, &recs[i], now, &states[i], e);
	if (r == 0)
		r = db_commit(d->db, e);
	if (r == 0) {
		d->unsynced = 1;
		wal_sync(d, force);
		for (int i = 0; i < n; i++)
			after_rec(d, &recs[i], states[i]);
		free(recs);
		free(states);
		d->db_error[0] = '\0';
		return 0;
	}
	db_rollback(d->db);
	snprintf(d->db_error, sizeof d->db_error, "%s", e->msg);
	/* Locked or out of reach: one by one would wait as long for each. */
	kept = r == ERR_BUSY || r == ERR_IO ? n : one_by_one(d, recs, n, states, now);
	free(states);
	/* The kept ones go first, ahead of what the follow-ups reported. */
	if (d->nrec) {
		struct deliver_rec *all = realloc(recs, (size_t)(kept + d->nrec) * sizeof *all);

		if (all) {
			memcpy(all + kept, d->recs, (size_t)d->nrec * sizeof *all);
			recs = all;
			kept += d->nrec;
		} else {
			/* Out of memory: the follow-ups' rows wait for their lease. */
			for (int i = 0; i < d->nrec; i++) {
				d->recs[i].b->refs--;
				batch_release(d, d->recs[i].b);
			}
		}
	}
	free(d->recs);
	d->recs = recs;
	d->nrec = kept;
	d->caprec = kept > n ? kept : n;
	recount(d);
	d->retry_at = mono_ms() + DELIVER_RETRY_MS;
	return r;
}

/* Write what was reported; then what the follow-ups reported at once (a
 * synchronous channel's results, sent when its starts were recorded), so
 * that no result waits for other work. */
static int flush(struct delivery *d, time_t now, int force, struct err *e)
{
	int r = flush_once(d, now, force, e);

	for (int k = 0; r == 0 && d->nrec && k < 2; k++)
		r = flush_once(d, now, force, e);
	return r;
}

int delivery_flush(struct delivery *d, time_t now, struct err *e)
{
	return flush(d, now, 0, e);
}

int delivery_sync(struct delivery *d, time_t now, struct err *e)
{
	return flush(d, now, 1, e);
}

/* ---- claiming ---- */

/* Hold back what the rate limits do not allow now; the rest stays in msgs
 * (compacted, *n updated). Counts come from the audit log. */
static int rate_limit(struct dbi *db, const struct config *cfg, struct outbox_msg *msgs, int *n,
		      time_t now, struct deliver_stats *st, struct err *e)
{
	int global = 0, k = 0, r = 0;

	if (!cfg->rate_global && !cfg->rate_recipient)
		return 0;
	if (cfg->rate_global)
		r = outbox_sent_since(db, NULL, now - 60, &global, e);
	for (int i = 0; r == 0 && i < *n; i++) {
		int mine = 0;
		time_t until = 0;

		if (cfg->rate_recipient)
			r = outbox_sent_since(db, msgs[i].address, now - 3600, &mine, e);
		/* Earlier messages of this claim to the same address count too. */
		for (int j = 0; j < k; j++)
			mine += strcmp(msgs[j].address, msgs[i].address) == 0;
		if (r == 0 && cfg->rate_global && global + k >= cfg->rate_global)
			until = now + 60;
		else if (r == 0 && cfg->rate_recipient && mine >= cfg->rate_recipient)
			until = now + 3600;
		if (r == 0 && until) {
			r = outbox_defer(db, &msgs[i], until, e);
			st->deferred += r == 0;
			continue;
		}
		if (k != i) {
			struct outbox_msg tmp = msgs[k];

			msgs[k] = msgs[i];
			msgs[i] = tmp;
		}
		k++;
	}
	*n = k;
	return r;
}

void delivery_init(struct delivery *d, struct dbi *db, const struct config *cfg, const char *owner)
{
	memset(d, 0, sizeof *d);
	d->db = db;
	d->cfg = cfg;
	d->claiming = 1;
	d->chase = 1;
	snprintf(d->owner, sizeof d->owner, "%s", owner);
}

void delivery_add(struct delivery *d, const char *channel, struct transport *t,
		  int (*allowed)(const struct config *, time_t),
		  time_t (*next_allowed)(const struct config *, time_t))
{
	struct pipeline *p;

	if (d->np == DELIVER_MAX_CHANNELS)
		return;
	p = &d->p[d->np++];
	memset(p, 0, sizeof *p);
	p->channel = channel;
	p->t = t;
	p->allowed = allowed;
	p->next_allowed = next_allowed;
	p->look = 1;
	p->d = d;
	t->ev = &events;
	t->arg = p;
}

void delivery_free(struct delivery *d)
{
	for (int k = 0; k < d->np; k++)
		if (d->p[k].t->free)
			d->p[k].t->free(d->p[k].t);
	/* Records never written leave their rows claimed: recovery takes them. */
	for (int i = 0; i < d->nrec; i++) {
		d->recs[i].b->refs--;
		batch_release(d, d->recs[i].b);
	}
	free(d->recs);
	d->recs = NULL;
	d->nrec = d->caprec = 0;
	for (int k = 0; k < d->nheld; k++) {
		d->held[k].b->refs--;
		batch_release(d, d->held[k].b);
	}
	free(d->held);
	d->held = NULL;
	d->nheld = d->capheld = 0;
}

void delivery_poke(struct delivery *d)
{
	for (int k = 0; k < d->np; k++)
		d->p[k].look = 1;
}

/* Hand msgs[0..n) to the transport in batches of its size. */
static void start_batches(struct delivery *d, struct pipeline *p, struct outbox_msg *msgs, int n)
{
	int per = p->t->batch_max > 0 ? p->t->batch_max : 1;

	for (int off = 0; off < n; off += per) {
		int k = n - off < per ? n - off : per;
		struct batch *b = calloc(1, sizeof *b);
		struct outbox_msg *mine = calloc((size_t)k, sizeof *mine);
		struct send_result *res = calloc((size_t)k, sizeof *res);
		unsigned char *went = calloc((size_t)k, 1);

		if (!b || !mine || !res || !went) {
			/* Left claimed: the lease ends and recovery takes them back. */
			free(b);
			free(mine);
			free(res);
			free(went);
			for (int i = off; i < off + k; i++)
				outbox_msg_clear(&msgs[i]);
			continue;
		}
		memcpy(mine, msgs + off, (size_t)k * sizeof *mine);
		b->msgs = mine;
		b->n = k;
		b->res = res;
		b->went = went;
		b->pipe = p;
		d->batches++;
		p->t->start(p->t, b);
	}
	free(msgs);
}

static int pump_one(struct delivery *d, struct pipeline *p, time_t now, struct err *e)
{
	struct transport *t = p->t;
	struct outbox_msg *msgs = NULL;
	int free_slots, want, n = 0, claimed, r;
	time_t due;
	int any;

	if (p->allowed && !p->allowed(d->cfg, now)) {
		p->look = 0;
		r = outbox_next_due(d->db, p->channel, now, &due, &any, e);
		if (r < 0)
			return r;
		p->next_due = any ? p->next_allowed(d->cfg, due > now ? due : now) : 0;
		return 0;
	}
	if (!p->look && (!p->next_due || now < p->next_due))
		return 0;
	free_slots = t->free_slots(t);
	if (free_slots <= 0) {
		p->full = 1;
		return 0; /* looked at again when a slot frees */
	}
	want = free_slots * (t->batch_max > 0 ? t->batch_max : 1);
	r = outbox_claim_digests(d->db, now, want, p->channel, d->owner, now + t->lease_seconds,
				 d->tpl, d->cfg, &msgs, &n, e);
	if (r < 0)
		return r;
	claimed = n;
	r = rate_limit(d->db, d->cfg, msgs, &n, now, &d->st, e);
	if (r < 0) {
		/* Left claimed: the lease ends and recovery takes them back. */
		outbox_msgs_free(msgs, claimed);
		return r;
	}
	/* What the rate limit held back is already back in the queue. */
	for (int i = n; i < claimed; i++)
		outbox_msg_clear(&msgs[i]);
	if (n)
		start_batches(d, p, msgs, n);
	else
		free(msgs);
	if (claimed == want) {
		p->look = 1; /* there may be more */
		return 0;
	}
	p->look = 0;
	r = outbox_next_due(d->db, p->channel, now, &due, &any, e);
	if (r < 0)
		return r;
	if (!any)
		p->next_due = 0;
	else
		p->next_due = due > now ? due : now + 1;
	if (any && p->allowed)
		p->next_due = p->next_allowed(d->cfg, p->next_due);
	return 0;
}

int delivery_pump(struct delivery *d, time_t now, struct err *e)
{
	int r = 0;

	if (!d->claiming || mono_ms() < d->pump_retry)
		return 0;
	for (int k = 0; r == 0 && k < d->np; k++)
		r = pump_one(d, &d->p[k], now, e);
	/* The database is busy or failing: not again at once (each try may
	 * wait out SQLite's busy timeout). */
	if (r < 0)
		d->pump_retry = mono_ms() + DELIVER_RETRY_MS;
	return r;
}

int delivery_due(const struct delivery *d, time_t now)
{
	if (!d->claiming)
		return 0;
	for (int k = 0; k < d->np; k++) {
		const struct pipeline *p = &d->p[k];

		if ((p->look || (p->next_due && p->next_due <= now)) && p->t->free_slots(p->t) > 0)
			return 1;
	}
	return 0;
}

int delivery_fds(struct delivery *d, struct pollfd *p, int max, long long *deadline,
		 time_t *wake)
{
	int n = 0;

	for (int k = 0; k < d->np; k++) {
		struct pipeline *pl = &d->p[k];

		pl->fd_off = n;
		pl->fd_n = pl->t->fds(pl->t, p + n, max - n, deadline);
		n += pl->fd_n;
		if (d->claiming && pl->t->free_slots(pl->t) > 0 && mono_ms() >= d->pump_retry) {
			if (pl->look)
				*wake = 0;
			else if (pl->next_due && pl->next_due < *wake)
				*wake = pl->next_due;
		}
	}
	if (d->nrec) {
		long long at = d->nstart ? 0 : d->done_since + DELIVER_DEFER_MS;

		if (d->retry_at > at)
			at = d->retry_at;
		if (at < *deadline)
			*deadline = at;
	}
	if (d->unsynced && d->synced_at + DELIVER_SYNC_MS < *deadline)
		*deadline = d->synced_at + DELIVER_SYNC_MS;
	if (d->claiming && d->pump_retry > mono_ms() && d->pump_retry < *deadline)
		*deadline = d->pump_retry;
	return n;
}

void delivery_run(struct delivery *d, struct pollfd *p)
{
	for (int k = 0; k < d->np; k++)
		d->p[k].t->run(d->p[k].t, p + d->p[k].fd_off, d->p[k].fd_n);
}

int delivery_busy(const struct delivery *d)
{
	if (d->nrec || d->batches || d->unsynced)
		return 1;
	for (int k = 0; k < d->np; k++)
		if (d->p[k].t->busy(d->p[k].t))
			return 1;
	return 0;
}

void delivery_drain(struct delivery *d)
{
	d->claiming = 0;
	for (int k = 0; k < d->np; k++)
		d->p[k].t->drain(d->p[k].t);
	delivery_hold(d, 0); /* told to go now, the draining transports stop them */
}

void delivery_stop(struct delivery *d)
{
	d->claiming = 0;
	for (int k = 0; k < d->np; k++)
		d->p[k].t->stop(d->p[k].t);
	delivery_hold(d, 0);
}

void delivery_take_stats(struct delivery *d, struct deliver_stats *st)
{
	*st = d->st;
	memset(&d->st, 0, sizeof d->st);
	d->news = 0;
}

int deliver_pass(struct dbi *db, const struct config *cfg, const struct channel *email,
		 const struct channel *sms, time_t now, struct deliver_stats *st,
		 struct err *e)
{
	struct transport te, ts;
	struct delivery d;
	int r = 0;

	transport_sync(&te, email, DELIVER_BATCH);
	transport_sync(&ts, sms, DELIVER_BATCH);
	delivery_init(&d, db, cfg, "deliver_pass");
	d.chase = 0; /* fallbacks and alerts go in the next pass */
	delivery_add(&d, "email", &te, NULL, NULL);
	delivery_add(&d, "sms", &ts, deliver_sms_allowed, deliver_sms_next);
	while (r == 0 && delivery_due(&d, now)) {
		r = delivery_pump(&d, now, e);
		if (r == 0)
			r = delivery_sync(&d, now, e);
	}
	if (r == 0)
		r = delivery_sync(&d, now, e);
	/* Records the database refused are tried again, up to the last try
	 * (then a refused result is given up: dead, alerted), not dropped to
	 * be resent at the lease's end. */
	for (int k = 1; d.nrec && k < DELIVER_RECORD_TRIES; k++) {
		struct err e2 = { 0 };
		int r2 = delivery_sync(&d, now, &e2);

		if (r2 < 0 && r == 0) {
			r = r2;
			*e = e2;
		}
	}
	delivery_take_stats(&d, st);
	delivery_free(&d);
	return r;
}
