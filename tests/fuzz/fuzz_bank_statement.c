/*
 * libFuzzer target for the bank-statement reader (statement.h), both the
 * CSV and the 1CClientBankExchange layouts. The contract is checked, not
 * only the absence of crashes: success means no diagnostics and payments
 * with a positive amount in range, a 10- or 12-digit INN, a plausible date
 * and a source line inside the input; failure means no statement and at
 * least one located diagnostic. Every payment is then matched against a
 * small fixed set of invoices, which must answer an index in range or -1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dms_diag *diag = NULL;
    if (dms_diag_alloc(8, &diag) != DMS_OK)
        abort();
    dms_statement *st = NULL;
    int status = dms_statement_read((const char *)data, size, "f.csv", &st, diag);
    if (status == DMS_OK) {
        if (st == NULL || dms_diag_count(diag) != 0)
            abort();
        dms_finance_invoice inv[2];
        memset(inv, 0, sizeof inv);
        strcpy(inv[0].number, "СЧ-1-1");
        strcpy(inv[1].number, "СЧ-1-12");
        inv[0].amount = 100;
        inv[1].amount = 12345;
        for (size_t i = 0; i < st->n; i++) {
            const dms_finance_payment *p = &st->payments[i];
            size_t inn = strlen(p->payer_inn);
            if (p->amount <= 0 || p->amount > DMS_FINANCE_MAX_AMOUNT || (inn != 10 && inn != 12) ||
                p->number[0] == '\0' || st->lines[i] < 1 || (size_t)st->lines[i] > size + 1)
                abort();
            long m = dms_finance_match(inv, 2, p);
            if (m < -1 || m > 1)
                abort();
        }
        dms_finance_allocate(inv, 2, st->payments, st->n, NULL);
        if (inv[0].paid < 0 || inv[0].paid > inv[0].amount || inv[1].paid > inv[1].amount)
            abort();
        dms_statement_free(st);
    } else {
        if (st != NULL || dms_diag_count(diag) == 0)
            abort();
        const dms_error *e = dms_diag_get(diag, 0);
        if (e == NULL || e->message[0] == '\0')
            abort();
    }
    dms_diag_free(diag);
    return 0;
}
