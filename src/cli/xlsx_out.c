/*
 * `--format xlsx` for the CLI's CSV outputs: the command writes its usual CSV
 * into memory, and this turns it into a one-sheet workbook with typed cells
 * (numbers and dates as such, a bold frozen header) written to stdout, so
 * `dmsrate quote ... --format xlsx > quote.xlsx` opens in Excel. One helper
 * for every command, so each command's edit is two lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "commands.h"
#include "dms/xlsx.h"

FILE *cli_xlsx_begin(const char *prog, char **buf, size_t *len)
{
    if (isatty(STDOUT_FILENO)) {
        cli_fail(prog, "--format xlsx writes a binary file: redirect it (> out.xlsx)");
        return NULL;
    }
    FILE *f = open_memstream(buf, len);
    if (f == NULL)
        cli_raise(prog, DMS_ENOMEM, "out of memory");
    return f;
}

int cli_xlsx_end(const char *prog, FILE *csv, char **buf, size_t *len, const char *sheet)
{
    if (fclose(csv) != 0) {
        free(*buf);
        cli_raise(prog, DMS_ENOMEM, "out of memory");
        return 1;
    }
    char *x = NULL;
    size_t xlen = 0;
    dms_error err;
    dms_error_clear(&err);
    int status = dms_xlsx_from_csv(*buf, *len, sheet, NULL, 0, NULL, &x, &xlen, &err);
    free(*buf);
    *buf = NULL;
    if (status != DMS_OK) {
        cli_error(prog, &err);
        return 1;
    }
    int rc = fwrite(x, 1, xlen, stdout) == xlen && fflush(stdout) == 0 ? 0 : 1;
    free(x);
    return rc;
}
