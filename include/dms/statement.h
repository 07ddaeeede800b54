/*
 * A bank statement (выписка) as the accounting system exports it, read into
 * the payments it lists: the date, the number of the payment order, the
 * amount, the payer's INN and the purpose of payment. Two layouts of the 1C
 * export are read:
 *   - CSV: UTF-8 with or without BOM, ';' or ',', a header row naming the
 *     columns in Russian or English, any order, others ignored
 *     (Дата / date, Номер / number, Сумма / amount, ИНН плательщика /
 *     ПлательщикИНН / payer_inn, Назначение платежа / НазначениеПлатежа /
 *     purpose);
 *   - the 1CClientBankExchange text file (UTF-8): sections
 *     СекцияДокумент=… … КонецДокумента with the keys Дата, Номер, Сумма,
 *     ПлательщикИНН and НазначениеПлатежа.
 * Dates DD.MM.YYYY or YYYY-MM-DD; amounts "1234.56", "1 234,56" (at most two
 * decimals, greater than zero); INN 10 or 12 digits. Every fault is reported
 * at source:line:column (a stable code in the message: bad_date, bad_amount,
 * bad_inn, missing_value, missing_column, bad_file) and then nothing is
 * returned: a statement is taken whole or not at all.
 */
#ifndef DMS_STATEMENT_H
#define DMS_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "dms/diag.h"
#include "dms/finance.h"

/* Largest statement accepted (bytes) and most payments in one. */
#define DMS_STATEMENT_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define DMS_STATEMENT_MAX_LINES ((size_t)200000)

typedef struct dms_statement {
    size_t n;
    dms_finance_payment *payments; /* invoice "" (matching is the caller's) */
    int *lines;                    /* the source line of each payment */
} dms_statement;

/*
 * Reads a statement. On success *out holds every payment in file order and
 * diag is untouched; on any fault *out is NULL, every fault is in diag (may
 * be NULL) and the status is DMS_EPARSE (DMS_ETOOBIG over
 * DMS_STATEMENT_MAX_BYTES, DMS_ENOMEM). An empty statement (a header and no
 * rows) is valid. source names the input in faults.
 */
int dms_statement_read(const char *data, size_t len, const char *source,
                       dms_statement **out /* OUT */, dms_diag *diag);

/* NULL is a no-op. */
void dms_statement_free(dms_statement *st);

#endif
