/*
 * libFuzzer target for the register template (CSV or XLSX, chosen by the
 * zip signature as the service does) and the whole-batch check against a
 * small register. The contract is checked, not only the absence of crashes:
 * an accepted outcome has no issue and at most one person per change, and
 * applying it keeps every person's dates ordered; a refused one has issues,
 * each located (line and column >= 1 when read from a file), with a known
 * code and both messages; nothing is accepted when anything is wrong; the
 * list written after applying reads back without issues; the outcome always
 * encodes as JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dms/claims.h"
#include "dms/register.h"
#include "dms/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Messages go into JSON: they must be valid UTF-8 whatever the input was. */
static bool utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *q = p;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (dms_utf8_next(&q) < 0)
            return false;
        p = q;
    }
    return true;
}

static const char *const PROGRAMMES[] = {"base", "family", "plus"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dms_insured_register *reg = NULL;
    dms_insured_batch *b = NULL;
    dms_insured_outcome *o = NULL;
    if (dms_insured_register_alloc(&reg) != DMS_OK)
        return 0;
    dms_insured_person seed[2] = {{"P1", "E1", DMS_RELATION_EMPLOYEE, "Иванов", DMS_INSURED_NO_DATE,
                                   "ИТ", "base", DMS_INSURED_INCLUDED, dms_claims_days(2026, 1, 1),
                                   DMS_INSURED_OPEN_END, dms_claims_days(2026, 1, 1)},
                                  {"P2", "E2", DMS_RELATION_EMPLOYEE, "Петров", DMS_INSURED_NO_DATE,
                                   "", "plus", DMS_INSURED_EXCLUDED, dms_claims_days(2026, 1, 1),
                                   dms_claims_days(2026, 2, 1), dms_claims_days(2026, 2, 2)}};
    for (int i = 0; i < 2; i++)
        if (dms_insured_register_put(reg, &seed[i], NULL) != DMS_OK)
            abort();
    int status =
        dms_insured_template_read((const char *)data, size, DMS_INSURED_AUTO, "fuzz", &b, NULL);
    if (status != DMS_OK) {
        if (status != DMS_ENOMEM && status != DMS_ETOOBIG)
            abort();
        goto out;
    }
    dms_insured_rules rules = {.policy_from = dms_claims_days(2026, 1, 1),
                               .policy_to = dms_claims_days(2026, 12, 31),
                               .today = dms_claims_days(2026, 6, 15),
                               .retro_days = 30,
                               .programmes = PROGRAMMES,
                               .nprogrammes = 3};
    if (dms_insured_check(reg, &rules, b, &o, NULL) != DMS_OK)
        goto out;
    size_t read_issues = dms_insured_batch_issue_count(b);
    /* what the template reader accepted always encodes (valid UTF-8) */
    json_t *j = dms_insured_outcome_json(o);
    if (j == NULL)
        abort();
    json_decref(j);
    if (o->ok) {
        if (o->nissues != 0 || o->nissues_total != 0 || read_issues != 0 ||
            o->nchanges != dms_insured_batch_count(b) || o->npersons > o->nchanges)
            abort();
        if (dms_insured_register_apply(reg, o, NULL) != DMS_OK)
            abort();
        for (size_t i = 0; i < dms_insured_register_count(reg); i++) {
            const dms_insured_person *p = dms_insured_register_get(reg, i);
            if (p->policy[0] == '\0' || p->status > DMS_INSURED_EXCLUDED)
                abort();
            if (p->status == DMS_INSURED_EXCLUDED ? p->date_to == DMS_INSURED_OPEN_END
                                                  : p->date_to != DMS_INSURED_OPEN_END)
                abort();
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f == NULL)
            goto out;
        int w = dms_insured_list_csv(reg, NULL, f, NULL);
        fclose(f);
        if (w == DMS_OK) {
            dms_insured_batch *back = NULL;
            if (dms_insured_template_read(buf, len, DMS_INSURED_CSV, "list", &back, NULL) ==
                DMS_OK) {
                if (dms_insured_batch_issue_count(back) != 0 ||
                    dms_insured_batch_count(back) != dms_insured_register_count(reg))
                    abort();
            }
            dms_insured_batch_free(back);
        }
        free(buf);
    } else {
        if (o->nissues == 0 || o->nissues_total < o->nissues || o->nchanges != 0 ||
            o->npersons != 0 || o->nissues_total < read_issues)
            abort();
        for (size_t i = 0; i < o->nissues; i++) {
            const dms_insured_issue *is = &o->issues[i];
            if (is->line < 1 || is->column < 1 || is->code >= DMS_INSURED_E_COUNT ||
                is->message_ru[0] == '\0' || is->message_en[0] == '\0' ||
                !utf8_ok(is->message_ru) || !utf8_ok(is->message_en))
                abort();
            if (i > 0 && (is->line < o->issues[i - 1].line))
                abort();
        }
    }
out:
    dms_insured_outcome_free(o);
    dms_insured_batch_free(b);
    dms_insured_register_free(reg);
    return 0;
}
