/* plan_time.c - when a planned message goes out, and which occurrences
 * belong in a pass: the window, series and the day a message is sent. */
#include "plan.h"

#include "calendar.h"

time_t plan_at(const struct planner *p, int *day, int shift)
{
	time_t t = 0;

	if (p->cfg->workday_shift && shift < 0)
		*day = cal_prev_workday(*day);
	else if (p->cfg->workday_shift && shift > 0)
		*day = cal_next_workday(*day);
	cal_local_to_utc(*day, p->cfg->send_time, &t);
	return t;
}

time_t plan_immediate(const struct planner *p, int day)
{
	time_t t = 0;

	(void)p;
	cal_local_to_utc(day, 0, &t);
	return t;
}

/* An occurrence after the window: the subject wakes then. */
static void note_later(struct planner *p, time_t t)
{
	if (p->preview)
		return;
	if (!p->st->next_at || t < p->st->next_at)
		p->st->next_at = t;
	if (p->in_subject && (!p->subj_wake || t < p->subj_wake))
		p->subj_wake = t;
}

int plan_in_window(struct planner *p, time_t t)
{
	if (t > p->hi) {
		note_later(p, t);
		return 0;
	}
	return t >= p->lo_keep;
}

int plan_event_in_window(struct planner *p, time_t t)
{
	if (t > p->hi) {
		note_later(p, t);
		return 0;
	}
	return 1;
}

int plan_send_day(const struct planner *p, int day)
{
	return day < p->today ? p->today : day;
}

int plan_latest_due(const struct planner *p, const time_t *at, int n)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if (at[i] <= p->now && (best < 0 || at[i] >= at[best]))
			best = i;
	return best;
}
