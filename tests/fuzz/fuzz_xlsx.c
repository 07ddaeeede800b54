/*
 * libFuzzer target for the XLSX reader: any bytes are opened with small
 * limits (so a bomb shows up as a refusal within the fuzzer's time), every
 * sheet is read, and the contract is checked: rows strictly increasing and
 * within Excel's limits, cells strictly increasing by column, every text
 * non-NULL, a date cell's text its ISO day; a failure has a status, a
 * message, and no sheet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/xlsx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dms_xlsx_limits lim = {
        .max_part_bytes = 1 << 20, .max_total_bytes = 4 << 20, .max_cells = 20000};
    dms_xlsx_book *book = NULL;
    dms_error err;
    int status = dms_xlsx_open(data, size, &lim, &book, &err);
    if (status != DMS_OK) {
        if (book != NULL || err.code != status || err.message[0] == '\0')
            abort();
        return 0;
    }
    for (size_t s = 0; s < dms_xlsx_sheet_count(book); s++) {
        dms_xlsx_sheet *sh = NULL;
        status = dms_xlsx_sheet_read(book, s, &sh, &err);
        if (status != DMS_OK) {
            if (sh != NULL || err.message[0] == '\0')
                abort();
            continue;
        }
        int prev_row = 0;
        for (size_t r = 0; r < sh->nrows; r++) {
            const dms_xlsx_row *row = &sh->rows[r];
            if (row->row <= prev_row || row->row > DMS_XLSX_MAX_ROWS)
                abort();
            prev_row = row->row;
            int prev_col = 0;
            for (size_t c = 0; c < row->ncells; c++) {
                const dms_xlsx_cell *cell = &row->cells[c];
                if (cell->column <= prev_col || cell->column > DMS_XLSX_MAX_COLUMNS ||
                    cell->text == NULL)
                    abort();
                prev_col = cell->column;
                if (cell->type == DMS_XLSX_DATE && strlen(cell->text) != 10)
                    abort();
                if (dms_xlsx_row_cell(row, cell->column) != cell)
                    abort();
            }
        }
        dms_xlsx_sheet_free(sh);
    }
    dms_xlsx_free(book);
    return 0;
}
