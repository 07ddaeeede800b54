/*
 * Minimal XLSX (Office Open XML spreadsheet) reading and writing, so that HR
 * can exchange the register template, reports and quote exports with Excel.
 *
 * Reading: a workbook is opened from a memory buffer (the upload), its zip
 * container is read with minizip and its XML parts with expat; sheets are read
 * row by row into typed cells: shared and inline strings, numbers, booleans,
 * and dates (numbers whose cell style has a date format, converted from the
 * 1900 date system to days since 1970-01-01 and "YYYY-MM-DD"). Rows are
 * sparse: only cells present in the file are returned, each with its column.
 * Every part's decompressed size, the workbook's total and the number of cells
 * are limited, so a zip bomb or a billion-cell sheet is refused cleanly.
 * Errors name the place as "Sheet1!B12" in the message and line = row,
 * column = column number (A = 1) in the dms_error.
 *
 * Writing: a thin layer over libxlsxwriter that produces real spreadsheets:
 * bold Russian (or any UTF-8) headers, a frozen header row, column widths,
 * and typed cells (text, number, integer, money with two decimals, date,
 * percent). The result goes to a file or to a memory buffer (written through
 * a temporary file: Debian's libxlsxwriter 1.1.4 has no in-memory output).
 * Writer errors are sticky: the first one is kept and reported by
 * dms_xlsx_writer_close, so callers can write a table without checking every
 * cell.
 *
 * Not thread-safe per object; separate objects may be used from separate
 * threads.
 */
#ifndef DMS_XLSX_H
#define DMS_XLSX_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/error.h"

/* ---- reading ------------------------------------------------------------ */

/* Defaults of dms_xlsx_limits (0 in a field means the default). */
#define DMS_XLSX_DEFAULT_MAX_PART ((size_t)64 * 1024 * 1024)   /* one XML part */
#define DMS_XLSX_DEFAULT_MAX_TOTAL ((size_t)256 * 1024 * 1024) /* all parts read */
#define DMS_XLSX_DEFAULT_MAX_CELLS ((size_t)4 * 1000 * 1000)   /* cells of one sheet */
#define DMS_XLSX_MAX_COLUMNS 16384                             /* XFD, Excel's own limit */
#define DMS_XLSX_MAX_ROWS 1048576                              /* Excel's own limit */

typedef struct dms_xlsx_limits {
    size_t max_part_bytes;  /* decompressed bytes of one part (sheet, shared strings) */
    size_t max_total_bytes; /* decompressed bytes of every part read, together */
    size_t max_cells;       /* non-empty cells of one sheet */
} dms_xlsx_limits;

enum dms_xlsx_type {
    DMS_XLSX_EMPTY = 0,  /* present but without a value (a styled blank) */
    DMS_XLSX_STRING = 1, /* shared, inline or formula string */
    DMS_XLSX_NUMBER = 2, /* a number without a date format */
    DMS_XLSX_DATE = 3,   /* a number whose style is a date format */
    DMS_XLSX_BOOL = 4,   /* TRUE / FALSE */
    DMS_XLSX_ERROR = 5,  /* #N/A, #DIV/0! ...: text holds the error */
};

typedef struct dms_xlsx_cell {
    enum dms_xlsx_type type;
    int column;       /* 1-based: A = 1, AB = 28 */
    const char *text; /* never NULL: the string; a number as written in the
                         file ("12.5"); a date as "YYYY-MM-DD"; "TRUE"/"FALSE" */
    double number;    /* NUMBER, DATE (the serial number), BOOL (0 or 1); else 0 */
    long days;        /* DATE: days since 1970-01-01 (time of day dropped) */
} dms_xlsx_cell;

typedef struct dms_xlsx_row {
    int row;       /* 1-based, as Excel numbers rows */
    size_t ncells; /* cells present, in increasing column order */
    const dms_xlsx_cell *cells;
} dms_xlsx_row;

/* A sheet read into memory: rows present, in increasing row order. */
typedef struct dms_xlsx_sheet {
    const char *name; /* as in the workbook ("Лист1") */
    size_t nrows;
    const dms_xlsx_row *rows;
    struct dms_xlsx_sheet_store *store; /* private */
} dms_xlsx_sheet;

/* An opened workbook (its directory, sheet names, shared strings, styles). */
typedef struct dms_xlsx_book dms_xlsx_book;

/*
 * Opens an XLSX workbook held in data (len bytes; the caller keeps data alive
 * until dms_xlsx_free). limits may be NULL for the defaults. Reads the
 * workbook part, the shared strings and the styles; sheets are read on demand.
 * Errors: DMS_EPARSE (not a zip, not a workbook, malformed XML), DMS_ETOOBIG
 * (a limit exceeded), DMS_ENOMEM, DMS_EINVAL (NULL arguments). *out is NULL
 * on error.
 */
int dms_xlsx_open(const void *data, size_t len, const dms_xlsx_limits *limits,
                  dms_xlsx_book **out /* OUT */, dms_error *err);

/* Frees a workbook. NULL is a no-op. Sheets read from it stay valid. */
void dms_xlsx_free(dms_xlsx_book *book);

/* Number of sheets, and the name of sheet i (0-based; NULL if out of range). */
size_t dms_xlsx_sheet_count(const dms_xlsx_book *book);
const char *dms_xlsx_sheet_name(const dms_xlsx_book *book, size_t i);

/*
 * Reads sheet i (0-based, in workbook order) into *out, a new sheet the
 * caller frees with dms_xlsx_sheet_free. Errors as dms_xlsx_open, with the
 * place "Sheet!A1" of the bad cell when there is one; DMS_ENOTFOUND if there
 * is no sheet i.
 */
int dms_xlsx_sheet_read(const dms_xlsx_book *book, size_t i, dms_xlsx_sheet **out /* OUT */,
                        dms_error *err);

/* Frees a sheet and every string of it. NULL is a no-op. */
void dms_xlsx_sheet_free(dms_xlsx_sheet *sheet);

/* The cell at column (1-based) of row, or NULL when the row has none there. */
const dms_xlsx_cell *dms_xlsx_row_cell(const dms_xlsx_row *row, int column);

/*
 * Convenience: opens data and reads its first sheet (or the sheet named
 * sheet_name when not NULL). Same errors; *out is NULL on error.
 */
int dms_xlsx_read_first(const void *data, size_t len, const dms_xlsx_limits *limits,
                        const char *sheet_name, dms_xlsx_sheet **out /* OUT */, dms_error *err);

/* "AB12" for row 12, column 28 into buf; returns buf ("" if it does not fit). */
const char *dms_xlsx_cell_ref(int row, int column, char *buf, size_t size);

/*
 * Parses a cell reference "AB12" (column letters, then the row; '$' marks
 * allowed) into row and column (1-based). false if malformed or beyond
 * Excel's limits.
 */
bool dms_xlsx_parse_ref(const char *text, size_t len, int *row, int *column);

/*
 * Dates of the 1900 date system (the default of Excel for Windows): serial 1
 * is 1900-01-01, and Excel counts a nonexistent 1900-02-29 as serial 60, so
 * serials from 61 are one day ahead of a plain count. Days are days since
 * 1970-01-01. dms_xlsx_serial_days drops the time of day; false for serials
 * below 1 or beyond 9999-12-31 and for serial 60 (the phantom day).
 */
bool dms_xlsx_serial_days(double serial, long *days);
double dms_xlsx_days_serial(long days);

/* ---- writing ------------------------------------------------------------ */

enum dms_xlsx_format {
    DMS_XLSX_TEXT = 0,    /* string cell */
    DMS_XLSX_NUM = 1,     /* general number */
    DMS_XLSX_INTEGER = 2, /* number shown "# ##0" */
    DMS_XLSX_MONEY = 3,   /* number shown "# ##0.00" (roubles and kopecks) */
    DMS_XLSX_DATEFMT = 4, /* date cell shown "DD.MM.YYYY" */
    DMS_XLSX_PERCENT = 5, /* number 0.125 shown "12.5%" */
};

typedef struct dms_xlsx_column {
    const char *header;          /* UTF-8, written bold in row 1 */
    enum dms_xlsx_format format; /* how cells of the column are shown */
    double width;                /* in characters; 0: from the header's length */
} dms_xlsx_column;

typedef struct dms_xlsx_writer dms_xlsx_writer;

/*
 * Starts a workbook. path is the file to write at close (written as
 * path.XXXXXX beside it and renamed over path once complete, so a reader
 * never sees half a file and an abandoned workbook leaves path untouched),
 * or NULL to produce a memory buffer (through a temporary file in $TMPDIR or
 * /tmp). Errors: DMS_EIO, DMS_ENOMEM, DMS_EINVAL. *out is NULL on error.
 */
int dms_xlsx_writer_alloc(const char *path, dms_xlsx_writer **out /* OUT */, dms_error *err);

/*
 * Adds a sheet named name (at most 31 characters, no []:*?/\; "Лист1" style
 * names are fine) with a bold header row from columns, the header row frozen
 * and column widths set; later cells go to this sheet from row 2.
 * Sticky errors: returns the writer's first error.
 */
int dms_xlsx_writer_sheet(dms_xlsx_writer *w, const char *name, const dms_xlsx_column *columns,
                          size_t ncolumns);

/*
 * Cells of the current row, left to right, in the format of their column
 * (a text cell in a number column is written as text). dms_xlsx_writer_date
 * takes days since 1970-01-01. _blank skips a cell. _row_end moves to the
 * next row. Sticky errors as above; each returns the writer's status.
 */
int dms_xlsx_writer_text(dms_xlsx_writer *w, const char *text);
int dms_xlsx_writer_number(dms_xlsx_writer *w, double value);
int dms_xlsx_writer_date(dms_xlsx_writer *w, long days);
int dms_xlsx_writer_blank(dms_xlsx_writer *w);
int dms_xlsx_writer_row_end(dms_xlsx_writer *w);

/*
 * Writes the workbook and frees w (always, even on error). With a path given
 * at alloc, data and len may be NULL; without one, *data receives a malloc'd
 * buffer of *len bytes the caller frees. Returns the writer's first error,
 * or DMS_EIO when the file could not be written.
 */
int dms_xlsx_writer_close(dms_xlsx_writer *w, char **data /* OUT */, size_t *len /* OUT */,
                          dms_error *err);

/* Abandons a workbook without writing it. NULL is a no-op. */
void dms_xlsx_writer_free(dms_xlsx_writer *w);

/* One cell of a table for dms_xlsx_write_table. */
typedef struct dms_xlsx_value {
    enum dms_xlsx_type type; /* EMPTY, STRING, NUMBER, DATE or BOOL */
    const char *text;        /* STRING */
    double number;           /* NUMBER, BOOL */
    long days;               /* DATE: days since 1970-01-01 */
} dms_xlsx_value;

/*
 * A whole table as a one-sheet workbook: the header row from columns, then
 * nrows rows of ncolumns values (row-major). Output as for
 * dms_xlsx_writer_close: to path, or (path NULL) into *data / *len.
 */
int dms_xlsx_write_table(const char *path, const char *sheet, const dms_xlsx_column *columns,
                         size_t ncolumns, const dms_xlsx_value *values, size_t nrows,
                         char **data /* OUT */, size_t *len /* OUT */, dms_error *err);

/*
 * Converts CSV text (as the CLI and reports produce it: ',' or ';', UTF-8,
 * optional BOM, RFC 4180 quoting) into a one-sheet workbook whose cells are
 * typed: a field that is a plain number ("1234.5", "-3", "1 234,50") becomes
 * a number, "YYYY-MM-DD" or "DD.MM.YYYY" a date, anything else text. The
 * first record is the bold, frozen header; headers (may be NULL) replaces
 * its texts when given, one per column (NULL entries keep the CSV's). Output
 * as dms_xlsx_write_table. DMS_EPARSE for malformed CSV.
 */
int dms_xlsx_from_csv(const char *csv, size_t csv_len, const char *sheet,
                      const char *const *headers, size_t nheaders, const char *path,
                      char **data /* OUT */, size_t *len /* OUT */, dms_error *err);

#endif
