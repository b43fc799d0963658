/* ack_page.c - the Swedish pages of acknowledgement links: plain HTML, no
 * JavaScript, labelled controls, high contrast, a visible keyboard focus,
 * and only what the message already said (the reference and the date). */
#include "ack_page.h"

#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "strbuf.h"

#define HEAD(title) \
	"<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n" \
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" \
	"<meta name=\"referrer\" content=\"no-referrer\">\n" \
	"<title>" title " – Backa barnet</title>\n<style>\n" \
	"body{font-family:system-ui,sans-serif;font-size:1.125rem;line-height:1.5;" \
	"color:#1a1a1a;background:#fff;max-width:40rem;margin:2rem auto;padding:0 1rem}\n" \
	"h1{font-size:1.5rem}\n" \
	"fieldset{border:1px solid #595959;padding:1rem;margin:1.5rem 0}\n" \
	"legend{font-weight:bold;padding:0 .25rem}\n" \
	"button{font:inherit;color:#fff;background:#00468c;border:2px solid #00468c;" \
	"border-radius:4px;padding:.6rem 1rem;margin:.25rem 0;cursor:pointer;display:block}\n" \
	"button:hover{background:#002f5f}\n" \
	"button:focus-visible,a:focus-visible{outline:3px solid #b35900;outline-offset:3px}\n" \
	"a{color:#00468c}\n.klart{color:#1e5e1e;font-weight:bold}\n" \
	"</style>\n</head>\n<body>\n<main>\n"
#define TAIL "</main>\n</body>\n</html>\n"

const char ack_page_refused[] =
	HEAD("Länken går inte att använda")
	"<h1>Länken går inte att använda</h1>\n"
	"<p>Länken är felaktig, gammal eller inte din. Inget har registrerats.</p>\n"
	"<p>Registrera uppgiften i verksamhetssystemet i stället, eller fråga den som "
	"administrerar påminnelsetjänsten.</p>\n" TAIL;

const char ack_page_limited[] =
	HEAD("För många försök")
	"<h1>För många försök</h1>\n"
	"<p>Vänta en minut och försök sedan igen. Inget har registrerats.</p>\n" TAIL;

const char ack_page_too_large[] =
	HEAD("Förfrågan är för stor")
	"<h1>Förfrågan är för stor</h1>\n<p>Inget har registrerats.</p>\n" TAIL;

const char ack_page_fault[] =
	HEAD("Ett fel uppstod")
	"<h1>Ett fel uppstod</h1>\n"
	"<p>Inget har registrerats. Försök igen om en stund.</p>\n" TAIL;

const char *ack_action_sv(char action)
{
	switch (action) {
	case ACK_RECEIVED: return "Jag har tagit emot uppgiften";
	case ACK_DONE: return "Samtalet är genomfört";
	case ACK_BOOKED: return "Överlämningssamtalet är bokat";
	default: return "";
	}
}

/* What is already recorded, in a sentence. */
static const char *recorded_sv(char action)
{
	switch (action) {
	case ACK_RECEIVED: return "Du har bekräftat att du har tagit emot uppgiften.";
	case ACK_DONE: return "Samtalet är registrerat som genomfört.";
	case ACK_BOOKED: return "Överlämningssamtalet är registrerat som bokat.";
	default: return "";
	}
}

static const char *date_label(const char *kind)
{
	if (strcmp(kind, "referral") == 0)
		return "Förhandsbedömningen ska vara klar senast";
	if (strcmp(kind, "followup") == 0)
		return "Uppföljningssamtalet ska hållas senast";
	if (strcmp(kind, "discovery") == 0)
		return "Barnsamtalet ska hållas senast";
	return "Ny Barnkontakt från";
}

static void put_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_puts(sb, "&amp;"); break;
		case '<': sb_puts(sb, "&lt;"); break;
		case '>': sb_puts(sb, "&gt;"); break;
		case '"': sb_puts(sb, "&quot;"); break;
		case '\'': sb_puts(sb, "&#39;"); break;
		default: sb_putc(sb, *s);
		}
	}
}

static void put_date(struct strbuf *sb, const char *label, const char *date)
{
	char buf[64];
	int day;

	if (!date[0] || date_parse(date, &day) < 0)
		return;
	sb_printf(sb, "<p>%s <strong>%s</strong>.</p>\n", label,
		  cal_format_sv(day, buf, sizeof buf));
}

static int is_recorded(const struct ack_view *v, char a)
{
	return (a == ACK_RECEIVED && v->received) || (a == ACK_DONE && v->done) ||
	       (a == ACK_BOOKED && v->booked);
}

char *ack_page_form(const struct ack_claim *c, const struct ack_view *v, const char *csrf)
{
	struct strbuf sb = STRBUF_INIT;
	int open = 0;

	sb_puts(&sb, HEAD("Registrera"));
	sb_puts(&sb, "<h1>Ärende ");
	put_escaped(&sb, v->ref);
	sb_puts(&sb, "</h1>\n");
	put_date(&sb, date_label(c->kind), v->date);
	for (const char *a = c->actions; *a; a++)
		if (is_recorded(v, *a))
			sb_printf(&sb, "<p class=\"klart\">%s</p>\n", recorded_sv(*a));
		else
			open++;
	if (v->closed)
		sb_puts(&sb, "<p class=\"klart\">Uppgiften är avslutad. Här finns inget mer att "
			     "registrera.</p>\n");
	else if (open) {
		/* One form: each button sends its own action, with the form's
		 * CSRF value; the page's own address takes the POST. */
		sb_puts(&sb, "<form method=\"post\">\n<fieldset>\n"
			     "<legend>Vad vill du registrera?</legend>\n");
		sb_printf(&sb, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n", csrf);
		for (const char *a = c->actions; *a; a++)
			if (!is_recorded(v, *a))
				sb_printf(&sb, "<button type=\"submit\" name=\"action\" "
					       "value=\"%c\">%s</button>\n", *a, ack_action_sv(*a));
		sb_puts(&sb, "</fieldset>\n</form>\n");
	}
	sb_puts(&sb, "<p>Det du registrerar här sparas i påminnelsetjänsten och påverkar vilka "
		     "påminnelser som skickas. "
		     "Uppgifterna om ärendet finns i verksamhetssystemet.</p>\n");
	sb_puts(&sb, TAIL);
	if (sb.oom) {
		sb_free(&sb);
		return NULL;
	}
	return sb_take(&sb);
}

char *ack_page_done(const struct ack_view *v, char action, int recorded)
{
	struct strbuf sb = STRBUF_INIT;

	sb_puts(&sb, HEAD("Registrerat"));
	sb_puts(&sb, "<h1>Tack!</h1>\n<p>");
	sb_puts(&sb, recorded ? "Det är nu registrerat för ärende "
			      : "Det var redan registrerat för ärende ");
	put_escaped(&sb, v->ref);
	sb_printf(&sb, ": <strong>%s</strong>.</p>\n", ack_action_sv(action));
	sb_puts(&sb, "<p><a href=\"\">Tillbaka till sidan för ärendet</a></p>\n");
	sb_puts(&sb, TAIL);
	if (sb.oom) {
		sb_free(&sb);
		return NULL;
	}
	return sb_take(&sb);
}
