/* template.c - compiling and rendering the Mustache subset of template.h. */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8

enum node_kind { N_TEXT, N_VAR, N_SECTION, N_INVERTED };

struct node {
	struct node *next;
	enum node_kind kind;
	char *text;          /* N_TEXT: the text; others: the field name */
	int line;
	struct node *child;  /* sections */
};

struct template {
	char *name;
	struct node *nodes;
};

static void nodes_free(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		nodes_free(n->child);
		free(n->text);
		free(n);
		n = next;
	}
}

void template_free(struct template *t)
{
	if (!t)
		return;
	nodes_free(t->nodes);
	free(t->name);
	free(t);
}

struct parser {
	const char *src, *p;
	const char *name;
	int line;
	struct err *e;
};

static struct node *node_new(enum node_kind kind, const char *s, size_t n, int line)
{
	struct node *nd = calloc(1, sizeof *nd);

	if (!nd)
		return NULL;
	nd->kind = kind;
	nd->line = line;
	nd->text = strndup(s, n);
	if (!nd->text) {
		free(nd);
		return NULL;
	}
	return nd;
}

static int count_lines(const char *s, const char *end)
{
	int n = 0;

	for (; s < end; s++)
		n += *s == '\n';
	return n;
}

/* Is the tag at [tag, tag_end) alone on its line? If so, return in *ls the
 * start of its line and in *le the start of the next line. */
static int standalone(const struct parser *ps, const char *tag, const char *tag_end,
		      const char **ls, const char **le)
{
	const char *a = tag, *b = tag_end;

	while (a > ps->src && (a[-1] == ' ' || a[-1] == '\t'))
		a--;
	if (a > ps->src && a[-1] != '\n')
		return 0;
	while (*b == ' ' || *b == '\t' || *b == '\r')
		b++;
	if (*b != '\n' && *b != '\0')
		return 0;
	*ls = a;
	*le = *b == '\n' ? b + 1 : b;
	return 1;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

static int append(struct node ***tail, struct node *n, struct parser *ps)
{
	if (!n)
		return err_set(ps->e, ERR_NOMEM, "out of memory");
	**tail = n;
	*tail = &n->next;
	return 0;
}

/* Parse until {{/close}} (close != NULL) or the end. */
static int parse(struct parser *ps, struct node **out, const char *close, int close_line,
		 int depth)
{
	struct node **tail = out;
	int r;

	for (;;) {
		const char *open = strstr(ps->p, "{{"), *end, *nm, *ls, *le;
		size_t nlen;
		char sigil;
		int line;

		if (!open) {
			if (*ps->p && (r = append(&tail, node_new(N_TEXT, ps->p, strlen(ps->p), ps->line), ps)))
				return r;
			ps->line += count_lines(ps->p, ps->p + strlen(ps->p));
			ps->p += strlen(ps->p);
			if (close)
				return err_set(ps->e, ERR_INVALID, "%s:%d: section '%s' is not closed",
					       ps->name, close_line, close);
			return 0;
		}
		line = ps->line + count_lines(ps->p, open);
		end = strstr(open + 2, "}}");
		if (!end || memchr(open + 2, '\n', (size_t)(end - open - 2)))
			return err_set(ps->e, ERR_INVALID, "%s:%d: tag '{{' is not closed with '}}'",
				       ps->name, line);
		sigil = open[2];
		nm = open + 2 + (strchr("#^/!", sigil) && sigil ? 1 : 0);
		while (*nm == ' ')
			nm++;
		nlen = (size_t)(end - nm);
		while (nlen && nm[nlen - 1] == ' ')
			nlen--;
		ls = open;
		le = end + 2;
		if (!(sigil && strchr("#^/!", sigil) && standalone(ps, open, end + 2, &ls, &le))) {
			ls = open;
			le = end + 2;
		}
		if (ls > ps->p && (r = append(&tail, node_new(N_TEXT, ps->p, (size_t)(ls - ps->p), ps->line), ps)))
			return r;
		ps->line += count_lines(ps->p, le);
		ps->p = le;
		if (sigil == '!')
			continue;
		if (!valid_name(nm, nlen))
			return err_set(ps->e, ERR_INVALID, "%s:%d: '%.*s' is not a field name",
				       ps->name, line, (int)(end - open + 2), open);
		if (sigil == '/') {
			if (!close || strlen(close) != nlen || strncmp(close, nm, nlen) != 0)
				return err_set(ps->e, ERR_INVALID,
					       "%s:%d: '{{/%.*s}}' closes no open section%s%s",
					       ps->name, line, (int)nlen, nm,
					       close ? "; open is " : "", close ? close : "");
			return 0;
		}
		if (sigil == '#' || sigil == '^') {
			struct node *sec = node_new(sigil == '#' ? N_SECTION : N_INVERTED, nm, nlen, line);

			if ((r = append(&tail, sec, ps)))
				return r;
			if (depth + 1 > MAX_DEPTH)
				return err_set(ps->e, ERR_INVALID, "%s:%d: sections nested deeper than %d",
					       ps->name, line, MAX_DEPTH);
			r = parse(ps, &sec->child, sec->text, line, depth + 1);
			if (r < 0)
				return r;
			continue;
		}
		if ((r = append(&tail, node_new(N_VAR, nm, nlen, line), ps)))
			return r;
	}
}

int template_compile(const char *src, const char *name, int line0, struct template **out,
		     struct err *e)
{
	struct template *t = calloc(1, sizeof *t);
	struct parser ps = { .src = src, .p = src, .name = name, .line = line0, .e = e };
	int r;

	*out = NULL;
	if (!t || !(t->name = strdup(name))) {
		free(t);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	r = parse(&ps, &t->nodes, NULL, 0, 0);
	if (r < 0) {
		template_free(t);
		return r;
	}
	*out = t;
	return 0;
}

static int truthy(const struct tvar *v)
{
	if (v->kind == TV_BOOL)
		return v->b;
	if (v->kind == TV_LIST)
		return tvars_first(v) != NULL;
	return v->str && v->str[0];
}

static int render(const struct template *t, const struct node *n, const struct tvars *vars,
		  struct strbuf *out, struct err *e)
{
	int r = 0;

	for (; r == 0 && n; n = n->next) {
		const struct tvar *v = n->kind == N_TEXT ? NULL : tvars_get(vars, n->text);

		if (n->kind == N_TEXT) {
			r = sb_puts(out, n->text);
			continue;
		}
		if (!v)
			return err_set(e, ERR_INVALID, "%s:%d: field '%s' is not set", t->name,
				       n->line, n->text);
		if (n->kind == N_VAR) {
			if (v->kind == TV_LIST)
				return err_set(e, ERR_INVALID, "%s:%d: '%s' is a list; use a section",
					       t->name, n->line, n->text);
			r = sb_puts(out, v->kind == TV_BOOL ? (v->b ? "ja" : "nej") : v->str);
		} else if (n->kind == N_INVERTED) {
			if (!truthy(v))
				r = render(t, n->child, vars, out, e);
		} else if (v->kind == TV_LIST) {
			for (const struct tvars *it = tvars_first(v); r == 0 && it; it = tvars_next(it))
				r = render(t, n->child, it, out, e);
		} else if (truthy(v)) {
			r = render(t, n->child, vars, out, e);
		}
	}
	if (r == ERR_NOMEM)
		return err_set(e, ERR_NOMEM, "out of memory");
	return r;
}

int template_render(const struct template *t, const struct tvars *vars, struct strbuf *out,
		    struct err *e)
{
	return render(t, t->nodes, vars, out, e);
}

static int fields(const struct node *n, int (*fn)(void *, const char *, int, int), void *ctx)
{
	int r = 0;

	for (; r == 0 && n; n = n->next) {
		if (n->kind == N_TEXT)
			continue;
		r = fn(ctx, n->text, n->line, n->kind != N_VAR);
		if (r == 0)
			r = fields(n->child, fn, ctx);
	}
	return r;
}

int template_fields(const struct template *t,
		    int (*fn)(void *ctx, const char *name, int line, int section), void *ctx)
{
	return fields(t->nodes, fn, ctx);
}
