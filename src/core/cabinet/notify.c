/*
 * Notifications (notify.h): recipients, dedupe keys, wording in Russian and
 * English, the backoff of retries and the days the scheduler announces.
 */
#include "dms/notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/claims.h"
#include "dms/picker.h"

static const char *const kinds[DMS_NOTIFY_KIND_COUNT] = {
    "insured_status",  "election_status", "request_status", "programme_ends", "invoice_due",
    "invoice_overdue", "key_expires",     "insured_digest", "election_digest"};

const char *dms_notify_kind_name(enum dms_notify_kind kind)
{
    return (unsigned)kind < DMS_NOTIFY_KIND_COUNT ? kinds[kind] : "?";
}

static const char *str(const char *s)
{
    return s != NULL ? s : "";
}

size_t dms_notify_recipients(const dms_notify_event *e, dms_notify_recipient out[4])
{
    size_t n = 0;
    const char *emp = str(e->employee_id);
    switch (e->kind) {
    case DMS_NOTIFY_INSURED_STATUS:
    case DMS_NOTIFY_ELECTION_STATUS:
    case DMS_NOTIFY_REQUEST_STATUS:
        /* HR hears of register changes and elections through the digests, one per batch
         * (HR's copy of each election's notice, keyed by status and day, kept only the
         * first of a day's submissions); of requests through its de-identified list. */
        if (emp[0] != '\0')
            out[n++] = (dms_notify_recipient){"employee", emp};
        break;
    case DMS_NOTIFY_PROGRAMME_ENDS:
        out[n++] = (dms_notify_recipient){"hr", ""};
        out[n++] = (dms_notify_recipient){"finance", ""};
        break;
    case DMS_NOTIFY_INVOICE_DUE:
    case DMS_NOTIFY_INVOICE_OVERDUE:
        out[n++] = (dms_notify_recipient){"finance", ""};
        out[n++] = (dms_notify_recipient){"hr", ""};
        break;
    case DMS_NOTIFY_KEY_EXPIRES:
    case DMS_NOTIFY_INSURED_DIGEST:
    case DMS_NOTIFY_ELECTION_DIGEST:
        out[n++] = (dms_notify_recipient){"hr", ""};
        break;
    case DMS_NOTIFY_KIND_COUNT:
        break;
    }
    return n;
}

/* The English word for a status the events carry in Russian. */
static const char *english(const char *ru)
{
    static const char *const pairs[][2] = {
        {"включён", "included"},
        {"исключён", "excluded"},
        {"приостановлен", "suspended"},
        {"программа изменена", "programme changed"},
        {"подано", "submitted"},
        {"на рассмотрении", "under review"},
        {"запрошены документы", "documents requested"},
        {"одобрено", "approved"},
        {"выплачено", "paid"},
        {"отказано", "rejected"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(ru, pairs[i][0]) == 0)
            return pairs[i][1];
    return ru;
}

static const char *dotted(long day, char buf[16])
{
    int y, m, d;
    dms_claims_civil(day, &y, &m, &d);
    snprintf(buf, 16, "%02d.%02d.%04d", d % 100, m % 100, ((y % 10000) + 10000) % 10000);
    return buf;
}

const char *dms_notify_key(const dms_notify_event *e, char *buf, size_t size)
{
    int y, m, d;
    dms_claims_civil(e->day, &y, &m, &d);
    snprintf(buf, size, "%s:%.48s:%.40s:%04d-%02d-%02d", dms_notify_kind_name(e->kind),
             str(e->object), str(e->status), ((y % 10000) + 10000) % 10000, m % 100, d % 100);
    return buf;
}

/* n with its thousands set apart by spaces, "10 000", into grouped[40]. */
static const char *thousands(unsigned long long n, char grouped[40])
{
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", n);
    size_t len = strlen(digits), k = 0;
    for (size_t i = 0; i < len && k + 2 < 40; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            grouped[k++] = ' ';
        grouped[k++] = digits[i];
    }
    grouped[k] = '\0';
    return grouped;
}

static void money(long long kopecks, char *buf, size_t size)
{
    unsigned long long a =
        kopecks < 0 ? 0ULL - (unsigned long long)kopecks : (unsigned long long)kopecks;
    char grouped[40];
    snprintf(buf, size, "%s%s,%02u ₽", kopecks < 0 ? "-" : "", thousands(a / 100, grouped),
             (unsigned)(a % 100));
}

void dms_notify_compose(const dms_notify_event *e, const char *employer, char *subject,
                        size_t subject_size, char *body, size_t body_size)
{
    char day[16], sum[96];
    const char *who = str(employer);
    const char *obj = str(e->object), *st = str(e->status);
    dotted(e->day, day);
    money(e->amount, sum, sizeof sum);
    switch (e->kind) {
    case DMS_NOTIFY_INSURED_STATUS:
        snprintf(subject, subject_size, "ДМС: статус застрахованного %s — %s", obj, st);
        snprintf(body, body_size,
                 "%s: застрахованный по полису %s — %s с %s.\n"
                 "%s: insured person %s is now %s from %s.\n",
                 who, obj, st, day, who, obj, english(st), day);
        break;
    case DMS_NOTIFY_ELECTION_STATUS: {
        enum dms_election_status es;
        const char *ru = st, *en = english(st);
        if (dms_election_status_from_text(st, &es)) {
            ru = dms_election_status_name_ru(es);
            en = dms_election_status_name(es);
        }
        snprintf(subject, subject_size, "ДМС: выбор программы — %s", ru);
        snprintf(body, body_size,
                 "Статус вашего выбора программы ДМС: %s (%s).\n"
                 "Your DMS election is now %s (%s).\n",
                 ru, day, en, day);
        break;
    }
    case DMS_NOTIFY_REQUEST_STATUS:
        snprintf(subject, subject_size, "ДМС: обращение %s — %s", obj, st);
        snprintf(body, body_size,
                 "Статус вашего обращения %s: %s (%s).\n"
                 "Your reimbursement request %s is now: %s (%s).\n",
                 obj, st, day, obj, english(st), day);
        break;
    case DMS_NOTIFY_PROGRAMME_ENDS:
        snprintf(subject, subject_size, "ДМС: программа заканчивается через %ld дн.", e->days_left);
        snprintf(body, body_size,
                 "%s: программа ДМС действует до %s (осталось дней: %ld). Пора продлить договор.\n"
                 "%s: the DMS programme ends on %s (%ld days left). Time to renew.\n",
                 who, day, e->days_left, who, day, e->days_left);
        break;
    case DMS_NOTIFY_INVOICE_DUE:
        snprintf(subject, subject_size, "ДМС: счёт %s к оплате до %s", obj, day);
        snprintf(body, body_size,
                 "%s: счёт %s на %s подлежит оплате до %s.\n"
                 "%s: invoice %s for %s is due on %s.\n",
                 who, obj, sum, day, who, obj, sum, day);
        break;
    case DMS_NOTIFY_INVOICE_OVERDUE:
        snprintf(subject, subject_size, "ДМС: счёт %s просрочен", obj);
        snprintf(body, body_size,
                 "%s: счёт %s не оплачен в срок (%s), к оплате %s.\n"
                 "%s: invoice %s is overdue (due %s), %s open.\n",
                 who, obj, day, sum, who, obj, day, sum);
        break;
    case DMS_NOTIFY_KEY_EXPIRES:
        snprintf(subject, subject_size, "ДМС: ключ доступа %s истекает через %ld дн.", obj,
                 e->days_left);
        snprintf(body, body_size,
                 "%s: ключ API %s истекает %s (осталось дней: %ld). Выпустите новый (dmsrate keys "
                 "rotate).\n"
                 "%s: API key %s expires on %s (%ld days left). Rotate it (dmsrate keys rotate).\n",
                 who, obj, day, e->days_left, who, obj, day, e->days_left);
        break;
    case DMS_NOTIFY_INSURED_DIGEST: /* composed from a digest: dms_notify_digest_compose */
    case DMS_NOTIFY_ELECTION_DIGEST:
    case DMS_NOTIFY_KIND_COUNT:
        snprintf(subject, subject_size, "ДМС");
        snprintf(body, body_size, "\n");
        break;
    }
}

/* ---- HR's digests of register changes and of elections ----------------------------- */

/* A digest's counts are indexed by the register's actions and the elections' statuses. */
_Static_assert(DMS_NOTIFY_STATUSES == DMS_ELECTION_STATUS_COUNT, "one count per election status");
_Static_assert(DMS_NOTIFY_COUNTS >= DMS_NOTIFY_ACTIONS && DMS_NOTIFY_COUNTS >= DMS_NOTIFY_STATUSES,
               "room for either");

/* The status each action leaves, as the per-person notices word it. */
static const char *const action_ru[DMS_NOTIFY_ACTIONS] = {"включён", "исключён", "приостановлен",
                                                          "программа изменена"};

const char *dms_notify_action_status_ru(int action)
{
    return action_ru[action >= 0 && action < DMS_NOTIFY_ACTIONS ? action : DMS_NOTIFY_ACTIONS - 1];
}

static int by_action_then_who(const void *a, const void *b)
{
    const dms_notify_change *x = *(const dms_notify_change *const *)a;
    const dms_notify_change *y = *(const dms_notify_change *const *)b;
    if (x->action != y->action)
        return x->action < y->action ? -1 : 1;
    return strcmp(str(x->who), str(y->who));
}

static int by_who(const void *a, const void *b)
{
    const dms_notify_change *x = *(const dms_notify_change *const *)a;
    const dms_notify_change *y = *(const dms_notify_change *const *)b;
    return strcmp(str(x->who), str(y->who));
}

static int by_upload(const void *a, const void *b)
{
    const dms_notify_change *x = *(const dms_notify_change *const *)a;
    const dms_notify_change *y = *(const dms_notify_change *const *)b;
    return x->upload < y->upload ? -1 : x->upload > y->upload;
}

int dms_notify_digest_count(enum dms_notify_kind kind, const dms_notify_change *changes, size_t n,
                            dms_notify_digest *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    out->kind = kind;
    int actions = kind == DMS_NOTIFY_INSURED_DIGEST    ? DMS_NOTIFY_ACTIONS
                  : kind == DMS_NOTIFY_ELECTION_DIGEST ? DMS_NOTIFY_STATUSES
                                                       : 0;
    if (actions == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_notify_digest_count: %s is no digest",
                             dms_notify_kind_name(kind));
    if (changes == NULL || n == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_notify_digest_count: no changes");
    for (size_t i = 0; i < n; i++)
        if (changes[i].action < 0 || changes[i].action >= actions)
            return dms_error_set(err, DMS_EINVAL, NULL,
                                 "dms_notify_digest_count: action %d out of range",
                                 changes[i].action);
    /* Counts are of people: one person changed twice by the same action (re-attached
     * the same day, say) counts once, so the changes are sorted rather than summed. */
    const dms_notify_change **v = malloc(n * sizeof *v);
    if (v == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    out->changes = n;
    out->first_change = out->last_change = changes[0].id;
    out->first_day = out->last_day = changes[0].day;
    for (size_t i = 0; i < n; i++) {
        const dms_notify_change *c = &changes[i];
        v[i] = c;
        if (c->id < out->first_change)
            out->first_change = c->id;
        if (c->id > out->last_change)
            out->last_change = c->id;
        if (c->day < out->first_day)
            out->first_day = c->day;
        if (c->day > out->last_day)
            out->last_day = c->day;
    }
    qsort(v, n, sizeof *v, by_action_then_who);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || by_action_then_who(&v[i - 1], &v[i]) != 0)
            out->by_action[v[i]->action]++;
    qsort(v, n, sizeof *v, by_who);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || by_who(&v[i - 1], &v[i]) != 0)
            out->people++;
    qsort(v, n, sizeof *v, by_upload);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || v[i - 1]->upload != v[i]->upload)
            out->uploads++;
    out->upload = out->uploads == 1 ? changes[0].upload : 0;
    out->action = changes[0].action;
    if (n == 1)
        snprintf(out->who, sizeof out->who, "%s", str(changes[0].who));
    free(v);
    return DMS_OK;
}

const char *dms_notify_digest_key(const dms_notify_digest *d, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%ld-%ld", dms_notify_kind_name(d->kind), d->first_change,
             d->last_change);
    return buf;
}

const char *dms_notify_plural_ru(unsigned long long n, const char *one, const char *few,
                                 const char *many)
{
    unsigned long long tens = n % 100, units = n % 10;
    if (tens >= 11 && tens <= 14)
        return many;
    return units == 1 ? one : units >= 2 && units <= 4 ? few : many;
}

/* Appends to buf of size at *used, never past its end. */
static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (k > 0)
        *used = *used + (size_t)k < size ? *used + (size_t)k : size - 1;
}

/*
 * HR's digest of elections: how many elections reached each status, on which day(s), with
 * the number of changes when an election moved more than once. For one change, one line
 * each language naming the employee, as HR's list of elections does.
 */
static void election_digest(const dms_notify_digest *d, const char *who, const char *from,
                            const char *to, char *subject, size_t subject_size, char *body,
                            size_t body_size)
{
    char count[40], changes[40], days_ru[48], days_en[48];
    if (d->changes == 1) {
        enum dms_election_status st = (enum dms_election_status)d->action;
        snprintf(subject, subject_size, "ДМС: выбор программы сотрудника %s — %s", d->who,
                 dms_election_status_name_ru(st));
        snprintf(body, body_size,
                 "%s: выбор программы ДМС сотрудника %s — «%s» (%s).\n"
                 "%s: the DMS election of employee %s is now %s (%s).\n",
                 who, d->who, dms_election_status_name_ru(st), from, who, d->who,
                 dms_election_status_name(st), from);
        return;
    }
    thousands(d->people, count);
    snprintf(subject, subject_size, "ДМС: выбор программы сотрудниками — %s %s", count,
             dms_notify_plural_ru(d->people, "выбор", "выбора", "выборов"));
    if (d->first_day == d->last_day) {
        snprintf(days_ru, sizeof days_ru, "за %s", from);
        snprintf(days_en, sizeof days_en, "on %s", from);
    } else {
        snprintf(days_ru, sizeof days_ru, "с %s по %s", from, to);
        snprintf(days_en, sizeof days_en, "between %s and %s", from, to);
    }
    /* The changes are told only where they differ from the elections (one moved twice). */
    thousands(d->changes, changes);
    size_t used = 0;
    body[0] = '\0';
    append(body, body_size, &used, "%s: выбор программы ДМС — изменения статуса %s, выборов: %s",
           who, days_ru, count);
    if (d->changes != d->people)
        append(body, body_size, &used, ", изменений: %s", changes);
    append(body, body_size, &used, ".\n");
    for (int s = 0; s < DMS_NOTIFY_STATUSES; s++)
        if (d->by_action[s] > 0)
            append(body, body_size, &used, "  «%s» — %s %s\n",
                   dms_election_status_name_ru((enum dms_election_status)s),
                   thousands(d->by_action[s], count),
                   dms_notify_plural_ru(d->by_action[s], "выбор", "выбора", "выборов"));
    append(body, body_size, &used, "Кто именно — в списке выборов кабинета HR.\n");
    append(body, body_size, &used, "%s: DMS elections — status changes %s, %s %s", who, days_en,
           thousands(d->people, count), d->people == 1 ? "election" : "elections");
    if (d->changes != d->people)
        append(body, body_size, &used, ", %s changes", changes);
    append(body, body_size, &used, ".\n");
    for (int s = 0; s < DMS_NOTIFY_STATUSES; s++)
        if (d->by_action[s] > 0)
            append(body, body_size, &used, "  %s — %s %s\n",
                   dms_election_status_name((enum dms_election_status)s),
                   thousands(d->by_action[s], count),
                   d->by_action[s] == 1 ? "election" : "elections");
    append(body, body_size, &used, "Who exactly: the list of elections in the HR cabinet.\n");
}

void dms_notify_digest_compose(const dms_notify_digest *d, const char *employer, char *subject,
                               size_t subject_size, char *body, size_t body_size)
{
    const char *who = str(employer);
    char from[16], to[16], people[40], count[40];
    dotted(d->first_day, from);
    dotted(d->last_day, to);
    if (d->kind == DMS_NOTIFY_ELECTION_DIGEST) {
        election_digest(d, who, from, to, subject, subject_size, body, body_size);
        return;
    }
    if (d->changes == 1) {
        /* One change reads as the per-person notice always did. */
        const char *st = action_ru[(unsigned)d->action % DMS_NOTIFY_ACTIONS];
        snprintf(subject, subject_size, "ДМС: статус застрахованного %s — %s", d->who, st);
        snprintf(body, body_size,
                 "%s: застрахованный по полису %s — %s с %s.\n"
                 "%s: insured person %s is now %s from %s.\n",
                 who, d->who, st, from, who, d->who, english(st), from);
        return;
    }
    thousands(d->people, people);
    snprintf(subject, subject_size, "ДМС: изменения в списке застрахованных — %s чел.", people);
    char batch_ru[64], batch_en[64], days_ru[48], days_en[48];
    if (d->uploads == 1) {
        snprintf(batch_ru, sizeof batch_ru, "загрузка %ld", d->upload);
        snprintf(batch_en, sizeof batch_en, "upload %ld", d->upload);
    } else {
        snprintf(batch_ru, sizeof batch_ru, "загрузок: %zu", d->uploads);
        snprintf(batch_en, sizeof batch_en, "%zu uploads", d->uploads);
    }
    if (d->first_day == d->last_day) {
        snprintf(days_ru, sizeof days_ru, "с %s", from);
        snprintf(days_en, sizeof days_en, "from %s", from);
    } else {
        snprintf(days_ru, sizeof days_ru, "с %s по %s", from, to);
        snprintf(days_en, sizeof days_en, "between %s and %s", from, to);
    }
    size_t used = 0;
    body[0] = '\0';
    append(body, body_size, &used,
           "%s: изменения в списке застрахованных (%s), вступают в силу %s, людей: %s.\n", who,
           batch_ru, days_ru, people);
    for (int a = 0; a < DMS_NOTIFY_ACTIONS; a++)
        if (d->by_action[a] > 0)
            append(body, body_size, &used, "  %s — %s чел.\n", action_ru[a],
                   thousands(d->by_action[a], count));
    append(body, body_size, &used,
           "%s: changes to the list of insured people (%s), effective %s, %s %s.\n", who, batch_en,
           days_en, people, d->people == 1 ? "person" : "people");
    for (int a = 0; a < DMS_NOTIFY_ACTIONS; a++)
        if (d->by_action[a] > 0)
            append(body, body_size, &used, "  %s — %s\n", english(action_ru[a]),
                   thousands(d->by_action[a], count));
}

long dms_notify_backoff(int attempt)
{
    long s = 60;
    for (int i = 1; i < attempt && s < 3600; i++)
        s *= 2;
    return s < 3600 ? s : 3600;
}

bool dms_notify_programme_due(long last_day, long today, long *days_left)
{
    long left = last_day - today;
    if (days_left != NULL)
        *days_left = left;
    return left == 30 || left == 14 || left == 1;
}

bool dms_notify_invoice_due(long due, long today)
{
    return today == due - 3;
}

bool dms_notify_invoice_overdue(long due, long today)
{
    return today == due + 1;
}

bool dms_notify_key_due(long expires_day, long today, long *days_left)
{
    long left = expires_day - today;
    if (days_left != NULL)
        *days_left = left;
    return left == 7 || left == 1;
}
