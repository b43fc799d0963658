/* leader.h - one planner at a time on a shared PostgreSQL database: the
 * daemon plans only while it holds a session advisory lock, taken on its
 * main connection (the one the planner writes through), so the lock and
 * the planning transaction end together: a daemon whose connection is lost
 * cannot commit a plan after another has taken over. The server drops the
 * lock when the session ends: at once when the daemon's process ends (its
 * socket closes), within LEADER_DEAD_HOST_S when its host vanishes (the
 * keepalives set by leader_session). A daemon that does not lead tries again
 * every LEADER_RETRY_MS, so another takes over within LEADER_RETRY_MS of
 * the lock's release. Every daemon delivers (the outbox's claims decide
 * who sends what). SQLite has one daemon per database (lock.h): it leads
 * while it holds the delivery lock. */
#ifndef BACKAD_LEADER_H
#define BACKAD_LEADER_H

#include "dbi.h"
#include "err.h"

/* pg_try_advisory_lock's key: "backad" in ASCII (0x6261636b6164). Another
 * program using advisory locks on the same database must not use it. */
#define LEADER_LOCK_KEY 108170419331428

#define LEADER_RETRY_MS 1000
/* The server's keepalives on the daemon's session: first probe after
 * idle s, then every interval s, count of them unanswered ends the
 * session; tcp_user_timeout bounds unacknowledged data the same way. */
#define LEADER_KEEPALIVE_IDLE_S 10
#define LEADER_KEEPALIVE_INTERVAL_S 5
#define LEADER_KEEPALIVE_COUNT 3
#define LEADER_DEAD_HOST_S \
	(LEADER_KEEPALIVE_IDLE_S + LEADER_KEEPALIVE_INTERVAL_S * LEADER_KEEPALIVE_COUNT)

/* Make the server notice a vanished daemon within LEADER_DEAD_HOST_S (its
 * session, and the lock, then end). On a TCP connection only; a Unix
 * socket's peer cannot vanish without its end being seen. PostgreSQL
 * only: 0 on SQLite. */
int leader_session(struct dbi *db, struct err *e);

/* Try to take the planning lock: 1 taken (held until leader_release or the
 * end of the session), 0 another session holds it, or a negative code
 * (ERR_IO: the connection is lost). Call it only while not holding it (a
 * session lock counts its takings). PostgreSQL only. */
int leader_try(struct dbi *db, struct err *e);

/* Give it back (a clean stop: another daemon takes over at once). */
void leader_release(struct dbi *db);

#endif
