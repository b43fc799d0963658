/* i18n.c - choosing the language of the text people read (gettext). */
#include "i18n.h"

#include <locale.h>
#include <stdlib.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

void i18n_init(void)
{
	const char *dir = getenv("BACKAD_LOCALEDIR");

	setlocale(LC_ALL, "");
	/* Programs read these: a decimal comma would break the metrics file
	 * and JSON figures, Swedish day names the e-mail Date header. */
	setlocale(LC_NUMERIC, "C");
	setlocale(LC_TIME, "C");
	bindtextdomain(I18N_DOMAIN, dir && *dir ? dir : LOCALEDIR);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
}
