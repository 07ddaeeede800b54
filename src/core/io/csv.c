/*
 * The CSV tokenizer and string pool shared by the census, claims register and
 * membership history readers. One pass over the text, O(input): unquoted
 * values point into the input; quoted values are unescaped into one scratch
 * buffer reused for every record, so reading allocates only when the record
 * arrays grow, never per field. The pool copies each distinct string once into
 * 64 KiB chunks and finds it again through an open-addressing hash index.
 */
#include "csv_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- tokenizer --------------------------------------------------------- */

static bool scratch_put(csv_reader *r, char c)
{
    if (r->scratch_len == r->scratch_cap) {
        size_t cap = r->scratch_cap ? r->scratch_cap * 2 : 1024;
        char *p = realloc(r->scratch, cap);
        if (p == NULL) {
            r->nomem = true;
            return false;
        }
        r->scratch = p;
        r->scratch_cap = cap;
    }
    r->scratch[r->scratch_len++] = c;
    return true;
}

static csv_field *push_field(csv_reader *r)
{
    if (r->nfields == r->cap_fields) {
        size_t cap = r->cap_fields ? r->cap_fields * 2 : 16;
        csv_field *p = realloc(r->fields, cap * sizeof *p);
        if (p == NULL) {
            r->nomem = true;
            return NULL;
        }
        r->fields = p;
        r->cap_fields = cap;
    }
    csv_field *f = &r->fields[r->nfields++];
    memset(f, 0, sizeof *f);
    return f;
}

/* Advances over one byte that is not a line break, counting characters. */
static void advance(csv_reader *r)
{
    if (((unsigned char)r->s[r->pos] & 0xC0) != 0x80)
        r->column++;
    r->pos++;
}

/* At a line break (\r\n, \n or \r): consume it. */
static void newline(csv_reader *r)
{
    if (r->s[r->pos] == '\r' && r->pos + 1 < r->n && r->s[r->pos + 1] == '\n')
        r->pos++;
    r->pos++;
    r->line++;
    r->column = 1;
}

static bool at_end_of_field(const csv_reader *r)
{
    if (r->pos >= r->n)
        return true;
    char c = r->s[r->pos];
    return c == r->delim || c == '\n' || c == '\r';
}

static void fault(csv_reader *r, int line, int column, const char *msg)
{
    if (r->fault != NULL)
        r->fault(r, line, column, msg);
    else
        dms_diag_add_at(r->diag, DMS_EPARSE, r->source, line, column, "%s", msg);
    r->errors++;
    r->bad = true;
}

/* ';' or ',', whichever the first line has more of outside quotes. */
static char detect_delimiter(const char *s, size_t n)
{
    size_t semi = 0, comma = 0;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            break;
        else if (!quoted && c == ';')
            semi++;
        else if (!quoted && c == ',')
            comma++;
    }
    return semi > comma ? ';' : ',';
}

void dms_csv_init(csv_reader *r, const char *text, size_t len, const char *source, dms_diag *diag)
{
    memset(r, 0, sizeof *r);
    r->s = text != NULL ? text : "";
    r->n = text != NULL ? len : 0;
    r->line = 1;
    r->column = 1;
    r->source = source != NULL ? source : "";
    r->diag = diag;
    if (r->n >= 3 && memcmp(r->s, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    r->delim = detect_delimiter(r->s + r->pos, r->n - r->pos);
}

bool dms_csv_record(csv_reader *r)
{
    r->nfields = 0;
    r->scratch_len = 0;
    r->bad = false;
    if (r->pos >= r->n || r->nomem)
        return false;
    for (;;) {
        csv_field *f = push_field(r);
        if (f == NULL)
            return false;
        f->line = r->line;
        f->column = r->column;
        if (r->pos < r->n && r->s[r->pos] == '"') {
            int qline = r->line, qcol = r->column;
            f->quoted = true;
            f->off = r->scratch_len;
            advance(r);
            bool closed = false;
            while (r->pos < r->n) {
                char c = r->s[r->pos];
                if (c == '"') {
                    if (r->pos + 1 < r->n && r->s[r->pos + 1] == '"') {
                        scratch_put(r, '"');
                        advance(r);
                        advance(r);
                        continue;
                    }
                    advance(r);
                    closed = true;
                    break;
                }
                if (c == '\n' || c == '\r') { /* any line break is kept as \n */
                    scratch_put(r, '\n');
                    newline(r);
                    continue;
                }
                scratch_put(r, c);
                advance(r);
            }
            if (r->nomem)
                return false;
            if (!closed) {
                fault(r, qline, qcol,
                      "the quoted field opened here is never closed (a '\"' is missing; "
                      "quotes inside a value are written \"\")");
                f->len = r->scratch_len - f->off;
                r->end_column = r->column;
                return true;
            }
            if (!at_end_of_field(r)) {
                fault(r, r->line, r->column,
                      "unexpected text after the closing quote of a field (quotes inside a "
                      "value are written \"\")");
                while (!at_end_of_field(r)) {
                    scratch_put(r, r->s[r->pos]);
                    advance(r);
                }
            }
            f->len = r->scratch_len - f->off;
        } else {
            f->off = r->pos;
            while (!at_end_of_field(r))
                advance(r);
            f->len = r->pos - f->off;
        }
        if (r->nomem)
            return false;
        if (r->pos < r->n && r->s[r->pos] == r->delim) {
            advance(r);
            continue;
        }
        r->end_column = r->column;
        if (r->pos < r->n)
            newline(r);
        return true;
    }
}

void dms_csv_trim(const char **text, size_t *len)
{
    const unsigned char *s = (const unsigned char *)*text;
    size_t n = *len;
    for (;;) {
        if (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
            s++, n--;
        } else if (n > 1 && s[0] == 0xC2 && s[1] == 0xA0) {
            s += 2, n -= 2;
        } else {
            break;
        }
    }
    for (;;) {
        if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        } else if (n > 1 && s[n - 2] == 0xC2 && s[n - 1] == 0xA0) {
            n -= 2;
        } else {
            break;
        }
    }
    *text = (const char *)s;
    *len = n;
}

const char *dms_csv_text(const csv_reader *r, size_t i, size_t *len)
{
    const csv_field *f = &r->fields[i];
    /* An empty quoted field ("") before any quoted text leaves scratch
     * unallocated: NULL + 0 is undefined, so it is the empty string. */
    const char *t = !f->quoted ? r->s + f->off : r->scratch != NULL ? r->scratch + f->off : "";
    *len = f->len;
    dms_csv_trim(&t, len);
    return t;
}

bool dms_csv_blank(const csv_reader *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        size_t len;
        dms_csv_text(r, i, &len);
        if (len > 0)
            return false;
    }
    return true;
}

bool dms_csv_header(csv_reader *r)
{
    while (dms_csv_record(r)) {
        if (!dms_csv_blank(r) || r->bad)
            return true;
    }
    return false;
}

void dms_csv_release(csv_reader *r)
{
    free(r->fields);
    free(r->scratch);
    r->fields = NULL;
    r->scratch = NULL;
}

/* ---- string pool ------------------------------------------------------- */

struct csv_chunk {
    struct csv_chunk *next;
    size_t used, cap;
    char data[];
};

#define CSV_CHUNK_SIZE ((size_t)64 * 1024)

static uint32_t fnv1a(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static char *pool_copy(csv_pool *p, const char *text, size_t len)
{
    struct csv_chunk *c = p->chunks;
    if (c == NULL || c->cap - c->used < len + 1) {
        size_t cap = len + 1 > CSV_CHUNK_SIZE ? len + 1 : CSV_CHUNK_SIZE;
        c = malloc(sizeof *c + cap);
        if (c == NULL)
            return NULL;
        c->next = p->chunks;
        c->used = 0;
        c->cap = cap;
        p->chunks = c;
    }
    char *s = c->data + c->used;
    if (len > 0)
        memcpy(s, text, len);
    s[len] = '\0';
    c->used += len + 1;
    return s;
}

static bool pool_grow(csv_pool *p)
{
    size_t cap = p->cap ? p->cap * 2 : 1024;
    csv_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return false;
    for (size_t i = 0; i < p->cap; i++) {
        if (p->slots[i].s == NULL)
            continue;
        size_t j = p->slots[i].hash & (cap - 1);
        while (slots[j].s != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = p->slots[i];
    }
    free(p->slots);
    p->slots = slots;
    p->cap = cap;
    return true;
}

csv_slot *dms_csv_pool_slot(csv_pool *p, const char *text, size_t len)
{
    if (p->used * 2 >= p->cap && !pool_grow(p))
        return NULL;
    uint32_t h = fnv1a(text, len);
    size_t j = h & (p->cap - 1);
    while (p->slots[j].s != NULL) {
        csv_slot *s = &p->slots[j];
        if (s->hash == h && s->len == len && memcmp(s->s, text, len) == 0)
            return s;
        j = (j + 1) & (p->cap - 1);
    }
    char *copy = pool_copy(p, text, len);
    if (copy == NULL)
        return NULL;
    p->slots[j] = (csv_slot){.s = copy, .len = len, .hash = h, .tag = 0};
    p->used++;
    return &p->slots[j];
}

const char *dms_csv_pool_intern(csv_pool *p, const char *text, size_t len)
{
    csv_slot *s = dms_csv_pool_slot(p, text, len);
    return s != NULL ? s->s : NULL;
}

csv_slot *dms_csv_pool_find(const csv_pool *p, const char *interned)
{
    if (p->cap == 0)
        return NULL;
    uint32_t h = fnv1a(interned, strlen(interned));
    size_t j = h & (p->cap - 1);
    while (p->slots[j].s != NULL) {
        if (p->slots[j].s == interned)
            return &p->slots[j];
        j = (j + 1) & (p->cap - 1);
    }
    return NULL;
}

void dms_csv_pool_drop_index(csv_pool *p)
{
    free(p->slots);
    p->slots = NULL;
    p->cap = 0;
    p->used = 0;
}

void dms_csv_pool_release(csv_pool *p)
{
    struct csv_chunk *c = p->chunks;
    while (c != NULL) {
        struct csv_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(p->slots);
    memset(p, 0, sizeof *p);
}
