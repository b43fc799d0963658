/* schema.c - the case database schema as ordered migrations (PRAGMA user_version).
 * Migration N brings a database from version N-1 to N; docs/schema.md explains
 * every table. Dates are TEXT 'YYYY-MM-DD' (Swedish calendar dates); instants are
 * TEXT 'YYYY-MM-DDTHH:MM:SSZ' in UTC. */
#include "schema.h"

#include <stddef.h>

/* Version 1: the facts that outside systems (or backactl and imports) write. */
static const char migration_1[] =
	"CREATE TABLE unit ("
	" id INTEGER PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 64),"
	" kind TEXT NOT NULL CHECK (kind IN ('bmm','bvc','preschool','school','intake','other')),"
	" name TEXT NOT NULL CHECK (length(name) > 0),"
	" municipality TEXT NOT NULL CHECK (length(municipality) > 0));"

	"CREATE TABLE staff ("
	" id INTEGER PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 64),"
	" name TEXT NOT NULL CHECK (length(name) > 0),"
	" email TEXT,"
	" mobile TEXT CHECK (mobile IS NULL OR mobile GLOB '+[1-9]*'),"
	" unit_id INTEGER REFERENCES unit(id),"
	" active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),"
	" channel TEXT CHECK (channel IS NULL OR channel IN ('email','sms')));"
	"CREATE INDEX staff_unit ON staff(unit_id);"

	"CREATE TABLE absence ("
	" id INTEGER PRIMARY KEY,"
	" staff_id INTEGER NOT NULL REFERENCES staff(id),"
	" start_date TEXT NOT NULL,"
	" end_date TEXT NOT NULL,"
	" deputy_id INTEGER REFERENCES staff(id),"
	" CHECK (end_date >= start_date),"
	" CHECK (deputy_id IS NULL OR deputy_id <> staff_id));"
	"CREATE INDEX absence_staff ON absence(staff_id, start_date);"

	"CREATE TABLE unit_role ("
	" id INTEGER PRIMARY KEY,"
	" unit_id INTEGER NOT NULL REFERENCES unit(id),"
	" role TEXT NOT NULL CHECK (role IN ('principal','intake_officer','manager')),"
	" staff_id INTEGER NOT NULL REFERENCES staff(id),"
	" start_date TEXT NOT NULL,"
	" end_date TEXT,"
	" CHECK (end_date IS NULL OR end_date >= start_date));"
	"CREATE INDEX unit_role_unit ON unit_role(unit_id, role, start_date);"
	"CREATE INDEX unit_role_staff ON unit_role(staff_id);"

	"CREATE TABLE child ("
	" id INTEGER PRIMARY KEY,"
	" ref TEXT NOT NULL UNIQUE CHECK (length(ref) BETWEEN 1 AND 32),"
	" name TEXT,"
	" pnr TEXT,"
	" birth_date TEXT NOT NULL,"
	" protected_identity INTEGER NOT NULL DEFAULT 0 CHECK (protected_identity IN (0,1)));"

	"CREATE TABLE placement ("
	" id INTEGER PRIMARY KEY,"
	" child_id INTEGER NOT NULL REFERENCES child(id),"
	" unit_id INTEGER NOT NULL REFERENCES unit(id),"
	" kind TEXT NOT NULL CHECK (kind IN ('bmm','bvc','preschool','school')),"
	" start_date TEXT NOT NULL,"
	" end_date TEXT,"
	" staff_id INTEGER REFERENCES staff(id),"
	" CHECK (end_date IS NULL OR end_date >= start_date));"
	"CREATE INDEX placement_child ON placement(child_id, start_date);"
	"CREATE INDEX placement_unit ON placement(unit_id);"

	"CREATE TABLE barnkontakt ("
	" id INTEGER PRIMARY KEY,"
	" child_id INTEGER NOT NULL REFERENCES child(id),"
	" staff_id INTEGER NOT NULL REFERENCES staff(id),"
	" start_date TEXT NOT NULL,"
	" end_date TEXT,"
	" CHECK (end_date IS NULL OR end_date >= start_date));"
	"CREATE INDEX barnkontakt_child ON barnkontakt(child_id, start_date);"

	"CREATE TABLE referral ("
	" id INTEGER PRIMARY KEY,"
	" child_id INTEGER NOT NULL REFERENCES child(id),"
	" reporter_id INTEGER NOT NULL REFERENCES staff(id),"
	" reporting_unit_id INTEGER REFERENCES unit(id),"
	" intake_unit_id INTEGER NOT NULL REFERENCES unit(id),"
	" received_date TEXT NOT NULL,"
	" decision_date TEXT,"
	" outcome TEXT CHECK (outcome IS NULL OR outcome IN ('opened','not_opened','already_open')),"
	" CHECK ((decision_date IS NULL) = (outcome IS NULL)),"
	" CHECK (decision_date IS NULL OR decision_date >= received_date));"
	"CREATE INDEX referral_child ON referral(child_id);"
	"CREATE INDEX referral_open ON referral(decision_date, received_date);"

	"CREATE TABLE discovery_card ("
	" id INTEGER PRIMARY KEY,"
	" child_id INTEGER NOT NULL REFERENCES child(id),"
	" discoverer_id INTEGER REFERENCES staff(id),"
	" created_date TEXT NOT NULL,"
	" conversation_date TEXT,"
	" CHECK (conversation_date IS NULL OR conversation_date >= created_date));"
	"CREATE INDEX discovery_child ON discovery_card(child_id);"

	"CREATE TABLE followup ("
	" id INTEGER PRIMARY KEY,"
	" child_id INTEGER NOT NULL REFERENCES child(id),"
	" responsible_id INTEGER NOT NULL REFERENCES staff(id),"
	" due_date TEXT NOT NULL,"
	" done_date TEXT);"
	"CREATE INDEX followup_child ON followup(child_id);"

	"CREATE TABLE consent ("
	" id INTEGER PRIMARY KEY,"
	" child_id INTEGER NOT NULL REFERENCES child(id),"
	" scope TEXT NOT NULL CHECK (scope IN ('handover','barnteam')),"
	" given_by TEXT NOT NULL CHECK (given_by IN ('guardian','child','both')),"
	" given_date TEXT NOT NULL,"
	" withdrawn_date TEXT,"
	" CHECK (withdrawn_date IS NULL OR withdrawn_date >= given_date));"
	"CREATE INDEX consent_child ON consent(child_id, scope);";

/* Version 2: backad's own bookkeeping - tasks, the outbox and the audit log. */
static const char migration_2[] =
	"CREATE TABLE task ("
	" id INTEGER PRIMARY KEY,"
	" key TEXT NOT NULL UNIQUE,"
	" rule TEXT NOT NULL,"
	" child_id INTEGER REFERENCES child(id),"
	" assignee_id INTEGER REFERENCES staff(id),"
	" unit_id INTEGER REFERENCES unit(id),"
	" due_date TEXT,"
	" state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','done','cancelled')),"
	" created_at TEXT NOT NULL,"
	" closed_at TEXT);"
	"CREATE INDEX task_state ON task(state, due_date);"

	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" key TEXT NOT NULL UNIQUE,"
	" rule TEXT NOT NULL,"
	" child_id INTEGER REFERENCES child(id),"
	" task_id INTEGER REFERENCES task(id),"
	" recipient_id INTEGER REFERENCES staff(id),"
	" channel TEXT NOT NULL CHECK (channel IN ('email','sms')),"
	" address TEXT NOT NULL,"
	" subject TEXT,"
	" body TEXT NOT NULL,"
	" categories TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL UNIQUE,"
	" due_at TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending','sending','sent','failed','dead','cancelled')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" in_doubt INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_at TEXT,"
	" last_error TEXT,"
	" provider_id TEXT,"
	" created_at TEXT NOT NULL,"
	" sent_at TEXT);"
	"CREATE INDEX outbox_due ON outbox(state, due_at);"

	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" at TEXT NOT NULL,"
	" outbox_id INTEGER REFERENCES outbox(id),"
	" recipient_id INTEGER REFERENCES staff(id),"
	" address TEXT NOT NULL,"
	" child_id INTEGER REFERENCES child(id),"
	" rule TEXT NOT NULL,"
	" channel TEXT NOT NULL,"
	" provider_id TEXT,"
	" categories TEXT NOT NULL);"
	"CREATE INDEX audit_child ON audit(child_id, at);"

	"CREATE TABLE state ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);";

/* Version 3: the Barnkontakt each child had when last planned, so a role
 * change (new principal, someone leaving, an explicit assignment) is noticed
 * and announced once, as a digest per new holder. */
static const char migration_3[] =
	"CREATE TABLE barnkontakt_known ("
	" child_id INTEGER PRIMARY KEY REFERENCES child(id) ON DELETE CASCADE,"
	" staff_id INTEGER REFERENCES staff(id),"
	" unit_id INTEGER REFERENCES unit(id),"
	" since TEXT NOT NULL);";

/* Version 4: counters that every change to a fact moves, so a planning pass
 * can tell that nothing changed without looking at every child:
 * facts.version for any fact, holders.version for the facts a Barnkontakt
 * follows from. */
#define BUMP(t, op, what) \
	"CREATE TRIGGER facts_" t "_" op " AFTER " op " ON " t \
	" BEGIN UPDATE state SET value = value + 1 WHERE key IN (" what "); END;"
#define BUMP3(t, what) BUMP(t, "INSERT", what) BUMP(t, "UPDATE", what) BUMP(t, "DELETE", what)
#define HOLDERS "'facts.version', 'holders.version'"
#define FACTS "'facts.version'"
static const char migration_4[] =
	"INSERT OR IGNORE INTO state(key, value) VALUES ('facts.version', 0);"
	"INSERT OR IGNORE INTO state(key, value) VALUES ('holders.version', 0);"
	BUMP3("staff", HOLDERS) BUMP3("unit_role", HOLDERS) BUMP3("placement", HOLDERS)
	BUMP3("barnkontakt", HOLDERS) BUMP3("child", HOLDERS)
	BUMP3("unit", FACTS) BUMP3("absence", FACTS) BUMP3("referral", FACTS)
	BUMP3("discovery_card", FACTS) BUMP3("followup", FACTS) BUMP3("consent", FACTS);


/* Version 5: ownership, leases and disclosure.
 * - outbox.origin says who made a row: 'rule' (the planner, which alone may
 *   update or cancel it), 'fallback' (delivery, after a dead message),
 *   'alert' (an admin alert), 'resend' (backactl) or 'history' (an event
 *   from before backad's first pass, kept cancelled so it is never told); outbox.subject is the
 *   subject a rule planned it for ("referral:12"), so the planner reconciles
 *   one subject's rows at a time.
 * - claim_owner and lease_until: which process holds a row in 'sending' and
 *   until when; data_started: 1 once the message's data may have reached
 *   the server (only those rows are in doubt after a crash).
 * - outbox_child: every child a message discloses (a digest names several),
 *   so the audit has one row per child.
 * - fact_change: which fact changed (kind and id), written by triggers, so
 *   a pass re-plans only the subjects a change affects; and triggers that
 *   refuse a fact's date that is not a date.
 * - plan_error: the last error planning a subject, so it is alerted once a
 *   day and shown by backactl status.
 * - plan_wake: each subject's next occurrence, so the clock wakes only the
 *   subjects that are due; and the indexes that find the subjects a change
 *   of a staff member or a unit affects. */
#define CHANGE(t, op, kind, idexpr) \
	"CREATE TRIGGER change_" t "_" op " AFTER " op " ON " t \
	" BEGIN INSERT INTO fact_change(kind, ref_id) VALUES ('" kind "', " idexpr "); END;"
/* An update is a change of what the row was and of what it is (a role moved
 * to another unit changes both units). */
#define CHANGE3(t, kind, col) \
	CHANGE(t, "INSERT", kind, "NEW." col) \
	CHANGE(t, "UPDATE", kind, "NEW." col "), ('" kind "', OLD." col) \
	CHANGE(t, "DELETE", kind, "OLD." col)
/* A date another system writes must be one (YYYY-MM-DD, a real day), or the
 * write is refused with the table and column named. */
#define DATE1(t, col, op, when) \
	"CREATE TRIGGER date_" t "_" col "_" op " BEFORE " when " ON " t \
	" WHEN NEW." col " IS NOT NULL AND date(NEW." col ", '+0 days') IS NOT NEW." col \
	" BEGIN SELECT RAISE(ABORT, '" t "." col " is not a date (YYYY-MM-DD)'); END;"
#define DATE(t, col) DATE1(t, col, "i", "INSERT") DATE1(t, col, "u", "UPDATE OF " col)
static const char migration_5[] =
	"ALTER TABLE outbox ADD COLUMN origin TEXT NOT NULL DEFAULT 'rule'"
	" CHECK (origin IN ('rule','fallback','alert','resend','history'));"
	"ALTER TABLE outbox ADD COLUMN subject_key TEXT;"
	"ALTER TABLE outbox ADD COLUMN claim_owner TEXT;"
	"ALTER TABLE outbox ADD COLUMN lease_until TEXT;"
	"ALTER TABLE outbox ADD COLUMN data_started INTEGER NOT NULL DEFAULT 0;"
	"UPDATE outbox SET origin = 'fallback' WHERE key LIKE '%/fallback';"
	"UPDATE outbox SET origin = 'alert' WHERE key LIKE 'alert/%';"
	"UPDATE outbox SET subject_key = substr(substr(key, instr(key, '/') + 1), 1,"
	" instr(substr(key, instr(key, '/') + 1), '/') - 1) WHERE origin = 'rule';"
	"UPDATE outbox SET data_started = in_doubt;"
	"CREATE INDEX outbox_subject ON outbox(subject_key);"
	"CREATE TABLE outbox_child ("
	" outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	" child_id INTEGER NOT NULL REFERENCES child(id),"
	" PRIMARY KEY (outbox_id, child_id)) WITHOUT ROWID;"
	"INSERT INTO outbox_child SELECT id, child_id FROM outbox WHERE child_id IS NOT NULL;"
	"CREATE TABLE fact_change ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" ref_id INTEGER);"
	"CREATE TABLE plan_error ("
	" subject_key TEXT PRIMARY KEY,"
	" at TEXT NOT NULL,"
	" message TEXT NOT NULL,"
	" alerted_day TEXT);"
	"CREATE TABLE plan_wake ("
	" subject_key TEXT PRIMARY KEY,"
	" wake_at TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX plan_wake_at ON plan_wake(wake_at);"
	"CREATE INDEX placement_staff ON placement(staff_id);"
	"CREATE INDEX barnkontakt_staff ON barnkontakt(staff_id);"
	"CREATE INDEX referral_intake ON referral(intake_unit_id);"
	"CREATE INDEX referral_reporter ON referral(reporter_id);"
	"CREATE INDEX referral_reporting ON referral(reporting_unit_id);"
	"CREATE INDEX followup_responsible ON followup(responsible_id);"
	"CREATE INDEX placement_start ON placement(start_date);"
	CHANGE3("referral", "referral", "id") CHANGE3("discovery_card", "discovery", "id")
	CHANGE3("followup", "followup", "id") CHANGE3("consent", "child", "child_id")
	CHANGE3("child", "child", "id") CHANGE3("placement", "child", "child_id")
	CHANGE3("barnkontakt", "child", "child_id") CHANGE3("staff", "staff", "id")
	CHANGE3("absence", "staff", "staff_id") CHANGE3("unit_role", "unit", "unit_id")
	CHANGE3("unit", "unit", "id")
	DATE("absence", "start_date") DATE("absence", "end_date")
	DATE("unit_role", "start_date") DATE("unit_role", "end_date")
	DATE("child", "birth_date")
	DATE("placement", "start_date") DATE("placement", "end_date")
	DATE("barnkontakt", "start_date") DATE("barnkontakt", "end_date")
	DATE("referral", "received_date") DATE("referral", "decision_date")
	DATE("discovery_card", "created_date") DATE("discovery_card", "conversation_date")
	DATE("followup", "due_date") DATE("followup", "done_date")
	DATE("consent", "given_date") DATE("consent", "withdrawn_date");

/* Version 6: the ids other systems give the rows they deliver (SS 12000's
 * UUIDs), so a sync finds the row it wrote before: one row per source, kind
 * and outside id, pointing at unit, staff, child, placement or unit_role. */
static const char migration_6[] =
	"CREATE TABLE ext_ref ("
	" source TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('unit','staff','child','placement','role')),"
	" ext_id TEXT NOT NULL CHECK (length(ext_id) BETWEEN 1 AND 200),"
	" local_id INTEGER NOT NULL,"
	" PRIMARY KEY (source, kind, ext_id)) WITHOUT ROWID;"
	"CREATE INDEX ext_ref_local ON ext_ref(kind, local_id);";

/* Version 7: fewer, better-aimed messages.
 * - referral.officer: the handläggare assigned to a referral (a staff code,
 *   written by backactl or another system): its reminders and overdue
 *   notices go to that person (or their deputy) only.
 * - unit.email: a unit's functional mailbox: an unassigned referral's
 *   reminders go there instead of to every intake officer.
 * - outbox.digest_key: "channel address due_at" of a row that goes out in
 *   the digest of its recipient and send time (NULL: on its own);
 *   outbox.deadline: the date an item is about, to sort a digest by;
 *   outbox.digest_id: the Message-ID of the set of items an item was first
 *   claimed in, kept for every retry of that set.
 * - audit.message_id: the Message-ID (or SMS reference) of the message that
 *   disclosed the child: a digest's, for each of its items.
 * - unit_role.role 'coordinator': who takes an intake unit's queue when it
 *   has no mailbox. SQLite cannot change a CHECK, so unit_role is rebuilt
 *   with its indexes and triggers (versions 1, 4 and 5), ids kept. */
static const char migration_7[] =
	"ALTER TABLE referral ADD COLUMN officer TEXT"
	" REFERENCES staff(code) ON UPDATE CASCADE;"
	"ALTER TABLE unit ADD COLUMN email TEXT;"
	"ALTER TABLE outbox ADD COLUMN digest_key TEXT;"
	"ALTER TABLE outbox ADD COLUMN deadline TEXT;"
	"ALTER TABLE outbox ADD COLUMN digest_id TEXT;"
	"ALTER TABLE audit ADD COLUMN message_id TEXT;"
	"CREATE INDEX outbox_digest ON outbox(digest_key, state) WHERE digest_key IS NOT NULL;"
	"CREATE INDEX referral_officer ON referral(officer);"
	"CREATE TABLE unit_role_v7 ("
	" id INTEGER PRIMARY KEY,"
	" unit_id INTEGER NOT NULL REFERENCES unit(id),"
	" role TEXT NOT NULL"
	"  CHECK (role IN ('principal','intake_officer','manager','coordinator')),"
	" staff_id INTEGER NOT NULL REFERENCES staff(id),"
	" start_date TEXT NOT NULL,"
	" end_date TEXT,"
	" CHECK (end_date IS NULL OR end_date >= start_date));"
	"INSERT INTO unit_role_v7(id, unit_id, role, staff_id, start_date, end_date)"
	" SELECT id, unit_id, role, staff_id, start_date, end_date FROM unit_role;"
	"DROP TABLE unit_role;"
	"ALTER TABLE unit_role_v7 RENAME TO unit_role;"
	"CREATE INDEX unit_role_unit ON unit_role(unit_id, role, start_date);"
	"CREATE INDEX unit_role_staff ON unit_role(staff_id);"
	BUMP3("unit_role", HOLDERS) CHANGE3("unit_role", "unit", "unit_id")
	DATE("unit_role", "start_date") DATE("unit_role", "end_date");
#undef BUMP
#undef BUMP3
#undef HOLDERS
#undef FACTS
#undef CHANGE
#undef CHANGE3
#undef DATE1
#undef DATE

/* Version 8: acknowledgements by link (backad-web). task_ack is a fact:
 * who (staff_id) answered which subject (kind and ref_id: a referral,
 * follow-up, discovery card or placement) with which action, when and from
 * which client address; one row per subject, person and action, so doing
 * it twice adds nothing. Its trigger notes the change like any fact's (a
 * placement as its child), so the next pass re-plans the subject.
 * And SMS delivery reports: outbox.delivery is what the gateway reported
 * after 'sent' (the gateway accepted it): 'delivered' (the handset has it)
 * or 'undeliverable' (it never will; a fallback by e-mail is queued), at
 * delivery_at; NULL while nothing is reported. */
static const char migration_8[] =
	"CREATE TABLE task_ack ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('referral','followup','discovery','placement')),"
	" ref_id INTEGER NOT NULL,"
	" staff_id INTEGER NOT NULL REFERENCES staff(id),"
	" action TEXT NOT NULL CHECK (action IN ('received','done','booked')),"
	" at TEXT NOT NULL,"
	" client TEXT NOT NULL,"
	" UNIQUE (kind, ref_id, staff_id, action));"
	"CREATE TRIGGER change_task_ack_INSERT AFTER INSERT ON task_ack BEGIN"
	" INSERT INTO fact_change(kind, ref_id) VALUES ("
	"  CASE NEW.kind WHEN 'placement' THEN 'child' ELSE NEW.kind END,"
	"  CASE NEW.kind WHEN 'placement' THEN"
	"   (SELECT child_id FROM placement WHERE id = NEW.ref_id) ELSE NEW.ref_id END);"
	" UPDATE state SET value = value + 1 WHERE key = 'facts.version';"
	" END;"
	"ALTER TABLE outbox ADD COLUMN delivery TEXT"
	" CHECK (delivery IN ('delivered','undeliverable'));"
	"ALTER TABLE outbox ADD COLUMN delivery_at TEXT;";

/* Version 9: children by birth date (the förskoleklass rule reads one
 * year's births each full pass instead of every child). Written once: the
 * same SQL in both engines. */
static const char migration_9[] =
	"CREATE INDEX child_birth ON child(birth_date);";

/* Version 10: PostgreSQL only. The facts and holders versions move once per
 * writing transaction instead of once per statement: an import of 100,000
 * rows, a statement each, updated the one state row 100,000 times in one
 * transaction, each update finding the row's newest version at the end of
 * a chain as long as the updates before it (quadratic: 31 s for 10,000
 * children). The versions are only compared for equality, and a
 * transaction's rows become visible together with its one move. SQLite
 * updates a row in place: nothing to do there. */
static const char migration_10_pg[] =
	"CREATE OR REPLACE FUNCTION backad_bump() RETURNS trigger LANGUAGE plpgsql AS $$"
	" DECLARE tx text := txid_current()::text;"
	" BEGIN"
	"  IF current_setting('backad.bumped_' || TG_ARGV[0], true) IS DISTINCT FROM tx THEN"
	"   UPDATE state SET value = (value::bigint + 1)::text WHERE key = 'facts.version'"
	"    OR (key = 'holders.version' AND TG_ARGV[0] = 'holders');"
	"   PERFORM set_config('backad.bumped_' || TG_ARGV[0], tx, true);"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;";

/* Version 11: PostgreSQL only. A fact row another system inserts with an
 * id of its own (explicit id) leaves the table's identity counter behind,
 * and backad's next insert into that table drew that id again and failed
 * on the key. After each insert into a fact table the counter is moved
 * past an id at or above the next one it would give, never back (its next
 * value is last_value, or last_value + 1 once called), under a lock per
 * counter so that two writers cannot move it back one after the other. An
 * id of 2^62 or more is left alone: following it would bring the counter
 * to its end and stop every insert of backad. It runs as the schema's
 * owner (security definer, search_path pinned), so the writing system
 * needs no right on the counter. SQLite's rowid is always past the highest
 * id: nothing to do there. */
#define FOLLOW(t) \
	"CREATE OR REPLACE TRIGGER id_" t " AFTER INSERT ON " t \
	" FOR EACH ROW EXECUTE FUNCTION backad_follow_id();"
static const char migration_11_pg[] =
	"CREATE OR REPLACE FUNCTION backad_follow_id() RETURNS trigger LANGUAGE plpgsql"
	" SECURITY DEFINER SET search_path = pg_catalog AS $$"
	" DECLARE s regclass := pg_get_serial_sequence("
	"   quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), 'id')::regclass;"
	"  last bigint; called boolean;"
	" BEGIN"
	"  IF NEW.id <= 0 OR NEW.id >= 4611686018427387904 THEN RETURN NULL; END IF;"
	"  EXECUTE format('SELECT last_value, is_called FROM %s', s) INTO last, called;"
	"  IF NEW.id > last OR (NEW.id = last AND NOT called) THEN"
	"   PERFORM pg_advisory_xact_lock(s::oid::bigint);"
	"   EXECUTE format('SELECT last_value, is_called FROM %s', s) INTO last, called;"
	"   IF NEW.id > last OR (NEW.id = last AND NOT called) THEN"
	"    PERFORM setval(s, NEW.id);"
	"   END IF;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;"
	"REVOKE ALL ON FUNCTION backad_follow_id() FROM PUBLIC;"
	FOLLOW("unit") FOLLOW("staff") FOLLOW("absence") FOLLOW("unit_role") FOLLOW("child")
	FOLLOW("placement") FOLLOW("barnkontakt") FOLLOW("referral") FOLLOW("discovery_card")
	FOLLOW("followup") FOLLOW("consent") FOLLOW("task_ack");
#undef FOLLOW

/* Each version in SQLite's dialect and in PostgreSQL's. PostgreSQL databases
 * begin at SCHEMA_PG_BASE, created whole by src/schema_pg.c; every later
 * version has both forms here, the same string where the SQL is portable. */
static const struct {
	const char *sqlite, *pg;
} migrations[] = {
	{ migration_1, NULL }, { migration_2, NULL }, { migration_3, NULL },
	{ migration_4, NULL }, { migration_5, NULL }, { migration_6, NULL },
	{ migration_7, NULL }, { migration_8, NULL },
	{ migration_9, migration_9 },
	{ "", migration_10_pg },
	{ "", migration_11_pg },
};

int schema_version(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

const char *schema_migration(int to_version)
{
	if (to_version < 1 || to_version > schema_version())
		return NULL;
	return migrations[to_version - 1].sqlite;
}

const char *schema_migration_pg(int to_version)
{
	if (to_version <= SCHEMA_PG_BASE || to_version > schema_version())
		return NULL;
	return migrations[to_version - 1].pg;
}
