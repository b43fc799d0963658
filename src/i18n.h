/* i18n.h - text people read goes through gettext: English in the source,
 * translated by the catalogue the locale chooses (textdomain "backad"). */
#ifndef BACKAD_I18N_H
#define BACKAD_I18N_H

#include <libintl.h>

#define I18N_DOMAIN "backad"

/* A translated string; the argument is a literal English text. */
#define _(s) gettext(s)
/* Marks a literal for the catalogue where it is translated later by _(). */
#define N_(s) (s)

/* At the start of each program: the locale from the environment (LANGUAGE,
 * LC_ALL, LC_MESSAGES, LANG), numbers and times kept in the C locale
 * (metrics, JSON, CSV and mail headers are read by programs), and the
 * catalogue bound to LOCALEDIR or to $BACKAD_LOCALEDIR when set (a build
 * tree). */
void i18n_init(void);

#endif
