/*
 * Reimbursement requests (reimbursement.h): the status machine, the checks
 * on a new request and on its documents (recognised by their first bytes,
 * never by the file name), and the suppression of small counts HR sees.
 */
#include "dms/reimbursement.h"

#include <string.h>
#include <strings.h>

#include "dms/claims.h"

static const char *const names[DMS_REIMB_STATUS_COUNT] = {
    "submitted", "review", "documents_requested", "approved", "paid", "rejected"};
static const char *const names_ru[DMS_REIMB_STATUS_COUNT] = {
    "подано", "на рассмотрении", "запрошены документы", "одобрено", "выплачено", "отказано"};

const char *dms_reimb_status_name(enum dms_reimb_status s)
{
    return (unsigned)s < DMS_REIMB_STATUS_COUNT ? names[s] : "?";
}

const char *dms_reimb_status_name_ru(enum dms_reimb_status s)
{
    return (unsigned)s < DMS_REIMB_STATUS_COUNT ? names_ru[s] : "?";
}

bool dms_reimb_status_from_text(const char *text, enum dms_reimb_status *out)
{
    if (text == NULL)
        return false;
    for (int i = 0; i < DMS_REIMB_STATUS_COUNT; i++)
        if (strcasecmp(text, names[i]) == 0 || strcmp(text, names_ru[i]) == 0) {
            *out = (enum dms_reimb_status)i;
            return true;
        }
    return false;
}

bool dms_reimb_can_move(enum dms_reimb_status from, enum dms_reimb_status to)
{
    switch (from) {
    case DMS_REIMB_SUBMITTED:
        return to == DMS_REIMB_REVIEW;
    case DMS_REIMB_REVIEW:
        return to == DMS_REIMB_DOCUMENTS_REQUESTED || to == DMS_REIMB_APPROVED ||
               to == DMS_REIMB_REJECTED;
    case DMS_REIMB_DOCUMENTS_REQUESTED:
        return to == DMS_REIMB_REVIEW || to == DMS_REIMB_REJECTED;
    case DMS_REIMB_APPROVED:
        return to == DMS_REIMB_PAID;
    case DMS_REIMB_PAID:
    case DMS_REIMB_REJECTED:
    case DMS_REIMB_STATUS_COUNT:
        return false;
    }
    return false;
}

bool dms_reimb_is_final(enum dms_reimb_status s)
{
    return s == DMS_REIMB_PAID || s == DMS_REIMB_REJECTED;
}

bool dms_reimb_accepts_documents(enum dms_reimb_status s)
{
    return s == DMS_REIMB_SUBMITTED || s == DMS_REIMB_REVIEW || s == DMS_REIMB_DOCUMENTS_REQUESTED;
}

int dms_reimb_check_move(enum dms_reimb_status from, enum dms_reimb_status to, const char *comment,
                         int64_t claimed, int64_t approved, dms_error *err)
{
    dms_error_clear(err);
    if (!dms_reimb_can_move(from, to))
        return dms_error_set(err, DMS_ECONFLICT, "/to",
                             "bad_transition: a request %s cannot become %s (обращение в статусе "
                             "«%s» нельзя перевести в «%s»)",
                             dms_reimb_status_name(from), dms_reimb_status_name(to),
                             dms_reimb_status_name_ru(from), dms_reimb_status_name_ru(to));
    bool needs_comment = to == DMS_REIMB_REJECTED || to == DMS_REIMB_DOCUMENTS_REQUESTED;
    if (needs_comment && (comment == NULL || comment[0] == '\0'))
        return dms_error_set(err, DMS_EINVAL, "/comment",
                             "a rejection or a request for documents says why (укажите причину "
                             "или какие документы нужны)");
    if (comment != NULL && strlen(comment) >= 1024)
        return dms_error_set(err, DMS_EINVAL, "/comment", "the comment is at most 1023 bytes");
    if (to == DMS_REIMB_APPROVED && (approved <= 0 || approved > claimed))
        return dms_error_set(err, DMS_EINVAL, "/approved_amount",
                             "an approval names the amount approved, above 0 and at most the "
                             "amount claimed (одобренная сумма: больше нуля и не больше "
                             "заявленной)");
    return DMS_OK;
}

static bool text_ok(const char *s, bool required)
{
    return s != NULL && (!required || s[0] != '\0') && strlen(s) < DMS_REIMB_TEXT_MAX;
}

int dms_reimb_check_request(const dms_reimb_request *r, long today, const char **module,
                            dms_error *err)
{
    dms_error_clear(err);
    if (r == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_reimb_check_request: NULL request");
    if (r->service_day > today || r->service_day < today - 3 * 366)
        return dms_error_set(err, DMS_EINVAL, "/service_date",
                             "the service date is not after today and at most 3 years back "
                             "(дата услуги)");
    const char *m = text_ok(r->category, true)
                        ? dms_claims_category_module(r->category, strlen(r->category))
                        : NULL;
    if (m == NULL)
        return dms_error_set(err, DMS_EINVAL, "/category",
                             "unknown service category (АПП, Стоматология, Скорая помощь, "
                             "Стационар, ...; неизвестная категория услуги)");
    if (r->amount <= 0 || r->amount > DMS_REIMB_MAX_AMOUNT)
        return dms_error_set(err, DMS_EINVAL, "/amount",
                             "the amount is above 0 and at most 10 000 000 roubles (сумма)");
    if (!text_ok(r->clinic, true))
        return dms_error_set(err, DMS_EINVAL, "/clinic",
                             "the clinic is named, under 256 bytes (медицинская организация)");
    if (!text_ok(r->diagnosis, false))
        return dms_error_set(err, DMS_EINVAL, "/diagnosis", "the diagnosis is under 256 bytes");
    if (module != NULL)
        *module = m;
    return DMS_OK;
}

enum dms_reimb_doc_kind dms_reimb_doc_sniff(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (p == NULL)
        return DMS_REIMB_DOC_UNKNOWN;
    if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return DMS_REIMB_DOC_PDF;
    if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return DMS_REIMB_DOC_JPEG;
    if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return DMS_REIMB_DOC_PNG;
    return DMS_REIMB_DOC_UNKNOWN;
}

const char *dms_reimb_doc_media_type(enum dms_reimb_doc_kind kind)
{
    switch (kind) {
    case DMS_REIMB_DOC_PDF:
        return "application/pdf";
    case DMS_REIMB_DOC_JPEG:
        return "image/jpeg";
    case DMS_REIMB_DOC_PNG:
        return "image/png";
    case DMS_REIMB_DOC_UNKNOWN:
        break;
    }
    return "application/octet-stream";
}

/* Whether the last `window` bytes of data hold needle. */
static bool tail_has(const unsigned char *data, size_t len, const char *needle, size_t window)
{
    size_t n = strlen(needle);
    size_t start = len > window ? len - window : 0;
    for (size_t i = start; i + n <= len; i++)
        if (memcmp(data + i, needle, n) == 0)
            return true;
    return false;
}

int dms_reimb_doc_check(const void *data, size_t len, enum dms_reimb_doc_kind *kind, dms_error *err)
{
    dms_error_clear(err);
    if (data == NULL || len == 0)
        return dms_error_set(err, DMS_EINVAL, "/document", "the document is empty (пустой файл)");
    if (len > DMS_REIMB_DOC_MAX_BYTES)
        return dms_error_set(err, DMS_ETOOBIG, "/document", "the document is over %zu MiB",
                             DMS_REIMB_DOC_MAX_BYTES >> 20);
    enum dms_reimb_doc_kind k = dms_reimb_doc_sniff(data, len);
    const unsigned char *p = data;
    bool whole = true;
    if (k == DMS_REIMB_DOC_PDF)
        whole = tail_has(p, len, "%%EOF", 1024);
    else if (k == DMS_REIMB_DOC_PNG)
        whole = len >= 20 && tail_has(p, len, "IEND", 16);
    else if (k == DMS_REIMB_DOC_JPEG)
        whole = len >= 4 && p[len - 2] == 0xFF && p[len - 1] == 0xD9;
    if (k == DMS_REIMB_DOC_UNKNOWN)
        return dms_error_set(err, DMS_EINVAL, "/document",
                             "bad_document_type: the content is not a PDF, JPEG or PNG, whatever "
                             "the file is called (файл не PDF, JPEG или PNG по содержимому)");
    if (!whole)
        return dms_error_set(err, DMS_EINVAL, "/document",
                             "bad_document_type: the %s is truncated (файл обрезан)",
                             k == DMS_REIMB_DOC_PDF   ? "PDF"
                             : k == DMS_REIMB_DOC_PNG ? "PNG"
                                                      : "JPEG");
    if (kind != NULL)
        *kind = k;
    return DMS_OK;
}
