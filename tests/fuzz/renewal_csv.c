/* Fuzz target: the CSV of `opstasks import renewals`: the header (columns in
 * any order, a UTF-8 byte order mark skipped) and then every record through
 * the importer's own reader and row checks. The reader and the checks are
 * file-local to src/cmd/import.c, so that file is compiled into this target
 * as it is: what is fuzzed is the shipped code. */
#include "cmd/import.c"

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup(NULL);
    return 0;
}

static struct csv csv; /* 32 KiB of fields: static, not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    struct csv *c = &csv;
    memset(c, 0, sizeof *c);
    c->f = fmemopen((void *)data, size, "rb");
    if (!c->f) abort();
    c->line = 1;
    int b0 = fgetc(c->f), b1 = fgetc(c->f), b2 = fgetc(c->f);
    if (!(b0 == 0xEF && b1 == 0xBB && b2 == 0xBF)) rewind(c->f);
    /* the header, as cmd_import reads it; an input without one is read as if
     * it had the usual one, so that every input reaches the rows */
    int col[COL__COUNT] = {0, 1, 2, 3, 4};
    long start = ftell(c->f);
    bool header = csv_next(c) == 1 && !c->too_long && !c->too_many && !c->bad_quote;
    for (int k = 0; header && k < COL__COUNT; k++) col[k] = -1;
    for (int i = 0; header && i < c->n; i++) {
        const char *name = trim(c->field[i]);
        int k = 0;
        while (k < COL__COUNT && strcmp(columns[k], name) != 0) k++;
        if (k == COL__COUNT || col[k] >= 0)
            header = false;
        else
            col[k] = i;
    }
    for (int k = 0; header && k < COL__COUNT; k++)
        if (col[k] < 0) header = false;
    if (!header) {
        for (int k = 0; k < COL__COUNT; k++) col[k] = k;
        fseek(c->f, start, SEEK_SET);
        c->line = 1;
    }
    long last_line = 0;
    for (int n = 0; n < 100000; n++) {
        long line = c->line;
        if (csv_next(c) != 1) break;
        /* no fields only when a quote was left open at the end */
        FUZZ_ASSERT((c->n >= 1 || c->bad_quote) && c->n <= FIELDS_MAX, "a record of %d fields", c->n);
        FUZZ_ASSERT(line > last_line && c->line >= line, "line numbers go back: %ld after %ld", line, last_line);
        last_line = line;
        for (int i = 0; i < c->n; i++) FUZZ_ASSERT(strlen(c->field[i]) < FIELD_MAX, "field %d overflows", i);
        if (c->n == 1 && c->field[0][0] == 0 && !c->bad_quote) continue;
        struct row r = {.line = line};
        if (read_row(c, col, &r)) {
            struct errinfo e = {0};
            FUZZ_ASSERT(ids_valid_external(r.it.customer_id, "cus_") && ids_valid_external(r.it.id, "ren_") &&
                            renewal_validate_kind(r.it.kind, &e) == ERR_OK && dates_valid(r.it.expires_on) &&
                            (!r.it.assignee_id[0] || ids_valid_external(r.it.assignee_id, "sta_")),
                        "an accepted row with an invalid field (line %ld)", line);
        } else {
            FUZZ_ASSERT(r.reason[0], "a refused row without a reason (line %ld)", line);
        }
    }
    fclose(c->f);
    return 0;
}
