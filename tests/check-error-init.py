#!/usr/bin/env python3
"""Every public entry point initialises its dms_error (issue 17).

Lists the non-static functions of src/ that take a `dms_error *` (not const)
and never call dms_error_clear on it. Since dms_error_set keeps the first
error, such a function would read whatever an uninitialised record holds.
A textual check, not a C parser: it reads definitions that start at the
beginning of a line and end with `) {`. error.c (the setters) and diag.c
(dms_diag_first copies into err only when it has a record) are exempt.

PENDING names entry points in files other branches are rewriting at the time
of this check (the quote/tariff/budget loading chain, the store's statement
layer); remove a name once its function clears its error.
Exit status 1 when a function is missing that is not pending, or when a
pending one already clears (so the list only shrinks).
"""
import glob
import re
import sys

EXEMPT_FILES = ("src/core/io/error.c", "src/core/io/diag.c")
PENDING = set("""
    dms_aggregate_args_parse dms_aggregate_compute dms_aggregate_grid
    dms_aggregate_spec_validate dms_budget_request_load_file dms_budget_request_load_json
    dms_budget_solve dms_budget_solve_exhaustive dms_budget_solve_masked
    dms_budget_space_default dms_claims_store_import dms_claims_store_load
    dms_claims_store_open dms_compound_fft dms_compound_panjer
    dms_coverage_validate dms_discretize_payment dms_enrol_begin
    dms_enrol_commit dms_enrol_context_load dms_enrol_election_get
    dms_enrol_election_get_id dms_enrol_election_list dms_enrol_election_put
    dms_enrol_employee_count dms_enrol_employee_department dms_enrol_employer_get
    dms_enrol_employer_put dms_enrol_history dms_enrol_import
    dms_enrol_key_check dms_enrol_key_create dms_frequency_parse
    dms_frequency_validate dms_lattice_convolve dms_lattice_power
    dms_lattice_sum dms_model_age_band dms_model_load_file
    dms_model_load_json dms_model_rate dms_model_trend_years
    dms_placed_rebin dms_plan_load_file dms_plan_load_json
    dms_quote_price_person dms_register_store_changes dms_register_store_elect
    dms_register_store_get dms_register_store_list dms_register_store_load
    dms_register_store_membership dms_register_store_retro_days dms_register_store_set_retro_days
    dms_register_store_submit dms_report_quote dms_severity_parse
    dms_severity_validate dms_store_audit dms_store_check
    dms_store_fail dms_store_open dms_store_version
    dms_tariff_check_model dms_tariff_group_factor dms_tariff_load_file
    dms_tariff_load_json dms_tenant_employer_create dms_tenant_employer_default
    dms_tenant_employer_get dms_tenant_employer_list dms_tenant_key_create
    dms_tenant_key_get dms_tenant_key_list dms_tenant_key_revoke
    dms_tenant_key_rotate
""".split())

DEF = re.compile(r"^(?!static)[A-Za-z_][\w \*]*?\b(dms_\w+)\(([^;{]*?)\)\s*\{", re.M)


def body_of(text, start):
    depth, i = 1, start
    while depth and i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
        i += 1
    return text[start:i]


def main():
    missing, cleared = [], set()
    for path in sorted(glob.glob("src/**/*.c", recursive=True)):
        if path in EXEMPT_FILES:
            continue
        text = open(path, encoding="utf-8").read()
        for m in DEF.finditer(text):
            param = re.search(r"(?<!const )dms_error\s*\*\s*(\w+)", m.group(2))
            if param is None:
                continue
            name, var = m.group(1), param.group(1)
            if re.search(r"dms_error_clear\(\s*%s\s*\)" % var, body_of(text, m.end())):
                cleared.add(name)
                continue
            if name not in PENDING:
                line = text.count("\n", 0, m.start()) + 1
                missing.append("%s:%d: %s does not clear %s" % (path, line, name, var))
    stale = sorted(PENDING & cleared)
    for line in missing:
        print(line, file=sys.stderr)
    for name in stale:
        print("check-error-init: %s now clears its error: drop it from PENDING" % name,
              file=sys.stderr)
    if missing or stale:
        return 1
    print("check-error-init: every entry point clears its dms_error (%d pending)" % len(PENDING))
    return 0


if __name__ == "__main__":
    sys.exit(main())
