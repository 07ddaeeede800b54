#!/usr/bin/env python3
"""Every error a user of the service or the CLI can see has a Russian form.

Russian first for users: a message raised in English is shown in Russian when
its format string has a pair in the table of src/core/io/error.c
(ru_templates); without one a Russian reader gets the Russian status text
followed by the English details. This check lists the format strings passed
to the error setters in src/store, src/core, src/api and src/cli that have no
pair and are not already written Russian first ("русский / English", which
dms_error_message splits). An English sentence with a Russian word in brackets
is not a Russian form.

A textual check, not a C parser: it reads each call of a setter, takes the
string literals of its format argument (both arms of a `c ? "a" : "b"`), and
joins adjacent literals as the compiler does. Exempt are a caller's bugs,
"dms_<name>: ..." (the contract of a function, never a person's mistake), and
formats with no words of their own ("%s: %s: %s", which pass on a message
made elsewhere). Exit status 1 when a message has no Russian form.
"""
import glob
import re
import sys

SCOPE = ("src/store/*.c", "src/core/*.c", "src/core/*/*.c", "src/api/*.c", "src/cli/*.c")
TABLE = "src/core/io/error.c"
# Setter -> the index of its format argument.
SETTERS = {
    "dms_error_set": 3,
    "dms_error_set_at": 5,
    "dms_diag_add_path": 3,
    "dms_diag_add_at": 5,
    "dms_jsonread_fail": 3,
    "send_error": 6,  # server.c: an answer made before the router
    "reply_error": 2,  # jobs.c: a message without arguments
    "dms_census_builder_error": 5,  # census.c: a fault of one census field
    "dms_census_builder_error_at": 4,  # census.c: a fault at a line or path
    "add_fault": 4,  # picker.c: a fault of an employee's election
    "row_error": 2,  # claims_csv.c: a fault of one register row
    "cli_fail": 1,  # src/cli: a usage error of a command
    "cli_fail_usage": 2,  # src/cli: the same, followed by the command's usage
}
STRING = r'"(?:[^"\\\n]|\\.)*"'
CYRILLIC = re.compile("[А-Яа-яЁё]")
CALL = re.compile(r"\b(%s)\s*\(" % "|".join(SETTERS))


def skip_literal(text, i):
    """The index just past the string or character literal starting at i."""
    quote, i = text[i], i + 1
    while text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1


def arguments(text, i):
    """The arguments of the call whose '(' is at text[i], as source text."""
    depth, args, start = 0, [], i + 1
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = skip_literal(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i])
                return args
        elif c == "," and depth == 1:
            args.append(text[start:i])
            start = i + 1
        i += 1
    return args


def unescape(literal):
    body = literal[1:-1]
    if "\\" not in body:
        return body
    return body.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def formats(arg):
    """The format strings an argument can be: adjacent literals joined as the
    compiler does, each arm of a conditional apart. [] for a variable."""
    found, run, i = [], None, 0
    while i < len(arg):
        c = arg[i]
        if c == '"':
            end = skip_literal(arg, i)
            run = (run or "") + unescape(arg[i:end])
            i = end
            continue
        if not c.isspace() and run is not None:
            found.append(run)
            run = None
        if c == "'":
            i = skip_literal(arg, i)
            continue
        i += 1
    if run is not None:
        found.append(run)
    return found


def macros(text):
    """The file's string macros, #define NAME "a" "b", as their literals'
    source text, so that a format built with them ("expected: " KNOWN_KEYS)
    is read as the compiler sees it."""
    found = {}
    for m in re.finditer(r"^#define (\w+)((?:[ \t]|\\\n)+(?:%s(?:[ \t]|\\\n)*)+)$" % STRING,
                         text, re.M):
        found[m.group(1)] = " ".join(re.findall(STRING, m.group(2)))
    return found


def expand(arg, names):
    if not names:
        return arg
    return re.sub(r"\b(%s)\b" % "|".join(names), lambda m: names[m.group(1)], arg)


def table():
    text = open(TABLE, encoding="utf-8").read()
    text = text[text.index("ru_templates[] = {"):]
    text = text[: text.index("\n};")]
    pair = re.compile(r"\{((?:\s*%s)+)\s*,\s*((?:\s*%s)+)\s*\}" % (STRING, STRING))
    return {"".join(unescape(s) for s in re.findall(STRING, m.group(1)))
            for m in pair.finditer(text)}


def exempt(fmt):
    if re.match(r"dms_\w+: ", fmt):
        return True
    words = re.sub(r"%[-+ #0-9.]*[hlLqjzt]*[a-zA-Z%]", "", fmt)
    return re.search(r"[A-Za-zА-Яа-яЁё]", words) is None


def russian_first(fmt):
    """Written "русский / English", as dms_error_message splits it: Cyrillic
    before the first " / ", none after. An English message with a Russian
    word in brackets is not a Russian form."""
    ru, sep, en = fmt.partition(" / ")
    return bool(sep) and CYRILLIC.search(ru) is not None and CYRILLIC.search(en) is None


def main():
    english = table()
    missing, checked = [], 0
    paths = sorted({p for pattern in SCOPE for p in glob.glob(pattern)})
    for path in paths:
        text = open(path, encoding="utf-8").read()
        names = macros(text)
        for m in CALL.finditer(text):
            args = arguments(text, m.end() - 1)
            index = SETTERS[m.group(1)]
            if len(args) <= index:
                continue
            for fmt in formats(expand(args[index], names)):
                if exempt(fmt):
                    continue
                checked += 1
                if fmt in english or russian_first(fmt):
                    continue
                line = text.count("\n", 0, m.start()) + 1
                missing.append("%s:%d: no Russian form: \"%s\"" % (path, line, fmt))
    for line in missing:
        print(line, file=sys.stderr)
    if missing:
        print("check-error-ru: add each pair to ru_templates in %s" % TABLE, file=sys.stderr)
        return 1
    print("check-error-ru: all %d messages of src/core, src/store, src/api and src/cli have a "
          "Russian form" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
