/*
 * Notifications (notify.h): recipients, dedupe keys, wording in Russian and
 * English, the backoff of retries and the days the scheduler announces.
 */
#include "dms/notify.h"

#include <stdio.h>
#include <string.h>

#include "dms/claims.h"

static const char *const kinds[DMS_NOTIFY_KIND_COUNT] = {
    "insured_status", "election_status", "request_status", "programme_ends",
    "invoice_due",    "invoice_overdue", "key_expires"};

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
        out[n++] = (dms_notify_recipient){"hr", ""};
        if (emp[0] != '\0')
            out[n++] = (dms_notify_recipient){"employee", emp};
        break;
    case DMS_NOTIFY_ELECTION_STATUS:
    case DMS_NOTIFY_REQUEST_STATUS:
        if (emp[0] != '\0')
            out[n++] = (dms_notify_recipient){"employee", emp};
        if (e->kind == DMS_NOTIFY_ELECTION_STATUS)
            out[n++] = (dms_notify_recipient){"hr", ""};
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

static void money(long long kopecks, char *buf, size_t size)
{
    unsigned long long a =
        kopecks < 0 ? 0ULL - (unsigned long long)kopecks : (unsigned long long)kopecks;
    char digits[32], grouped[40];
    snprintf(digits, sizeof digits, "%llu", a / 100);
    size_t len = strlen(digits), k = 0;
    for (size_t i = 0; i < len && k + 2 < sizeof grouped; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            grouped[k++] = ' ';
        grouped[k++] = digits[i];
    }
    grouped[k] = '\0';
    snprintf(buf, size, "%s%s,%02u ₽", kopecks < 0 ? "-" : "", grouped, (unsigned)(a % 100));
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
    case DMS_NOTIFY_ELECTION_STATUS:
        snprintf(subject, subject_size, "ДМС: выбор программы — %s", st);
        snprintf(body, body_size,
                 "Статус вашего выбора программы ДМС: %s (%s).\n"
                 "Your DMS election is now %s (%s).\n",
                 st, day, english(st), day);
        break;
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
    case DMS_NOTIFY_KIND_COUNT:
        snprintf(subject, subject_size, "ДМС");
        snprintf(body, body_size, "\n");
        break;
    }
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
