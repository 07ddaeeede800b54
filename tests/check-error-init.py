#!/usr/bin/env python3
"""Every entry point initialises its dms_error (issue 17).

Lists the non-static functions of src/ that take a `dms_error *` (not const)
and do not call dms_error_clear on it before anything else mentions it. Since
dms_error_set keeps the first error, such a function would read whatever an
uninitialised record holds, or report a stale error after its own success.
A textual check, not a C parser: it reads definitions that start at the
beginning of a line and end with `) {`. error.c (the setters) and diag.c
(dms_diag_first copies into err only when it has a record) are exempt, and so
are the few functions named in SETTERS, which record an error the way
dms_error_set does and must keep the first one.
Exit status 1 when a function does not clear its error first.
"""
import glob
import re
import sys

EXEMPT_FILES = ("src/core/io/error.c", "src/core/io/diag.c")
# Setters, not entry points: clearing would drop the error they must keep.
SETTERS = {
    "dms_store_fail",  # store_internal.h: dms_error_set from an SQL failure
    "dms_cancel_gate_stop",  # cancel.h: dms_error_cancelled once the hook said yes
}

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
    missing, checked = [], 0
    for path in sorted(glob.glob("src/**/*.c", recursive=True)):
        if path in EXEMPT_FILES:
            continue
        text = open(path, encoding="utf-8").read()
        for m in DEF.finditer(text):
            param = re.search(r"(?<!const )dms_error\s*\*\s*(\w+)", m.group(2))
            if param is None or m.group(1) in SETTERS:
                continue
            name, var = m.group(1), param.group(1)
            body = body_of(text, m.end())
            clear = re.search(r"\bdms_error_clear\(\s*%s\s*\)" % var, body)
            first = re.search(r"\b%s\b" % var, body)
            checked += 1
            if clear is not None and clear.start() <= first.start() < clear.end():
                continue
            line = text.count("\n", 0, m.start()) + 1
            if clear is None:
                missing.append("%s:%d: %s does not clear %s" % (path, line, name, var))
            else:
                missing.append("%s:%d: %s uses %s before clearing it" % (path, line, name, var))
    for line in missing:
        print(line.rstrip(), file=sys.stderr)
    if missing:
        print("check-error-init: call dms_error_clear(err) first in each of these", file=sys.stderr)
        return 1
    print("check-error-init: all %d entry points clear their dms_error first" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
