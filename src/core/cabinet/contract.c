/*
 * The billing terms of an employer's contract (finance.h) read from and
 * written to JSON: the schedule, the payment term, the payer's INN and the
 * annual premium per insured person of each programme. Money is read from
 * its digits into kopecks, never through a double.
 */
#include "dms/finance.h"

#include <string.h>

/* "1234.56", "1 234,56", "1234" (spaces and no-break spaces between digits). */
bool dms_finance_parse_kopecks(const char *s, size_t n, int64_t *out)
{
    int64_t whole = 0;
    int frac = 0, fdigits = -1, ndigits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= '0' && c <= '9') {
            if (fdigits >= 0) {
                if (++fdigits > 2)
                    return false;
                frac = frac * 10 + (c - '0');
            } else {
                if (whole > DMS_FINANCE_MAX_AMOUNT / 10)
                    return false;
                whole = whole * 10 + (c - '0');
                ndigits++;
            }
        } else if ((c == '.' || c == ',') && fdigits < 0 && ndigits > 0) {
            fdigits = 0;
        } else if (c == ' ' && fdigits < 0 && ndigits > 0) {
            continue;
        } else if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0 && fdigits < 0 &&
                   ndigits > 0) {
            i++;
        } else {
            return false;
        }
    }
    if (ndigits == 0 || fdigits == 0)
        return false;
    if (fdigits == 1)
        frac *= 10;
    int64_t k = whole * 100 + frac;
    if (k <= 0 || k > DMS_FINANCE_MAX_AMOUNT)
        return false;
    *out = k;
    return true;
}

static bool valid_inn(const char *s)
{
    size_t n = strlen(s);
    if (n != 10 && n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int dms_finance_contract_from_json(const json_t *root, dms_finance_contract *out, dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_contract_from_json: NULL out");
    memset(out, 0, sizeof *out);
    out->due_days = 10;
    if (!json_is_object(root))
        return dms_error_set(err, DMS_EINVAL, "", "the contract must be a JSON object");
    const char *key;
    json_t *value;
    bool have_schedule = false, have_rates = false;
    json_object_foreach((json_t *)root, key, value)
    {
        if (strcmp(key, "schedule") == 0) {
            if (!json_is_string(value) ||
                !dms_finance_schedule_from_text(json_string_value(value), &out->schedule))
                return dms_error_set(err, DMS_EINVAL, "/schedule",
                                     "schedule is monthly or quarterly (ежемесячно, "
                                     "ежеквартально)");
            have_schedule = true;
        } else if (strcmp(key, "due_days") == 0) {
            if (!json_is_integer(value) || json_integer_value(value) < 0 ||
                json_integer_value(value) > 365)
                return dms_error_set(err, DMS_EINVAL, "/due_days",
                                     "due_days is a whole number of days, 0 to 365 (срок оплаты)");
            out->due_days = (int)json_integer_value(value);
        } else if (strcmp(key, "payer_inn") == 0) {
            const char *inn = json_string_value(value);
            if (inn == NULL || (inn[0] != '\0' && !valid_inn(inn)))
                return dms_error_set(err, DMS_EINVAL, "/payer_inn",
                                     "payer_inn is 10 or 12 digits (ИНН плательщика)");
            snprintf(out->payer_inn, sizeof out->payer_inn, "%s", inn);
        } else if (strcmp(key, "rates") == 0) {
            if (!json_is_object(value) || json_object_size(value) == 0)
                return dms_error_set(err, DMS_EINVAL, "/rates",
                                     "rates is an object: programme -> annual premium in roubles");
            const char *prog;
            json_t *rate;
            json_object_foreach(value, prog, rate)
            {
                char path[128];
                snprintf(path, sizeof path, "/rates/%.64s", prog);
                if (out->nrates >= DMS_FINANCE_MAX_RATES)
                    return dms_error_set(err, DMS_EINVAL, path, "at most %d programmes",
                                         DMS_FINANCE_MAX_RATES);
                if (prog[0] == '\0' || strlen(prog) >= sizeof out->rates[0].programme)
                    return dms_error_set(err, DMS_EINVAL, path, "a programme code, 1 to 63 bytes");
                int64_t k = 0;
                bool ok;
                if (json_is_integer(rate)) {
                    json_int_t r = json_integer_value(rate);
                    ok = r > 0 && r <= DMS_FINANCE_MAX_PREMIUM / 100;
                    k = (int64_t)r * 100;
                } else {
                    const char *t = json_string_value(rate);
                    ok = t != NULL && dms_finance_parse_kopecks(t, strlen(t), &k) &&
                         k <= DMS_FINANCE_MAX_PREMIUM;
                }
                if (!ok)
                    return dms_error_set(err, DMS_EINVAL, path,
                                         "the annual premium is roubles with at most two decimals, "
                                         "\"36500.00\", above 0 and at most 10 000 000 "
                                         "(годовая премия на одного застрахованного)");
                snprintf(out->rates[out->nrates].programme, sizeof out->rates[0].programme, "%s",
                         prog);
                out->rates[out->nrates++].annual_kopecks = k;
            }
            have_rates = true;
        } else {
            return dms_error_set(err, DMS_EINVAL, NULL, "unknown key '%.64s' in the contract", key);
        }
    }
    if (!have_schedule)
        return dms_error_set(err, DMS_EINVAL, "/schedule",
                             "schedule is required: monthly or quarterly");
    if (!have_rates)
        return dms_error_set(err, DMS_EINVAL, "/rates", "rates are required");
    return DMS_OK;
}

json_t *dms_finance_contract_to_json(const dms_finance_contract *c)
{
    json_t *rates = json_object();
    for (size_t i = 0; i < c->nrates; i++) {
        char buf[32];
        int64_t k = c->rates[i].annual_kopecks;
        snprintf(buf, sizeof buf, "%lld.%02lld", (long long)(k / 100), (long long)(k % 100));
        json_object_set_new(rates, c->rates[i].programme, json_string(buf));
    }
    return json_pack("{s:s, s:i, s:s, s:o}", "schedule", dms_finance_schedule_name(c->schedule),
                     "due_days", c->due_days, "payer_inn", c->payer_inn, "rates", rates);
}
