#!/usr/bin/python3
"""Writes a man page (roff, man macros) from one of hamd's Markdown docs,
so the pages say what docs/ says and never drift from it. Built by CMake
(docs/man/CMakeLists.txt) into build/man/, installed by the package.

    md2man.py --name hactl --section 8 --summary "..." --version V IN.md OUT

Understands the Markdown the docs use: # to ### headings, paragraphs,
``` blocks, - and 1. lists, pipe tables, `code`, **bold**, [text](link).
The first # heading is dropped (NAME replaces it); text before the first
## heading becomes DESCRIPTION. A table row becomes a tagged paragraph: the
first cell as the tag, the last as the text, the others as "header: value"
lines, which reads better on an 80-column terminal than a tbl table.
"""
import argparse
import re
import sys

FENCE = "```"


def esc(text):
    """Escapes text for roff (not a request line)."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return text


def inline(text):
    """Markdown inline markup to roff fonts; escapes everything else."""
    out = []
    pos = 0
    pattern = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)]+)\)")
    for m in pattern.finditer(text):
        out.append(esc(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append("\\fB%s\\fR" % esc(m.group(1)))
        elif m.group(2) is not None:
            out.append("\\fB%s\\fR" % inline(m.group(2)))
        else:
            out.append(inline(m.group(3)))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def line_out(text):
    """A text line that roff must not take for a request."""
    return "\\&" + text if text[:1] in (".", "'") else text


def cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def table(rows, out):
    head = cells(rows[0])
    for row in rows[2:]:
        c = cells(row)
        c += [""] * (len(head) - len(c))
        out.append(".TP")
        out.append(line_out(inline(c[0])))
        body = [inline(c[-1])] if len(c) > 1 else []
        for h, v in zip(head[1:-1], c[1:-1]):
            if v:
                body.append("%s: %s" % (inline(h), inline(v)))
        out.append(line_out(inline("") + "\n.br\n".join(body)))


def convert(lines, name, section, summary, version, synopsis=(), see_also=""):
    out = ['.TH %s %s "" "hamd %s" "hamd manual"' % (name.upper(), section, version),
           ".SH NAME", "%s \\- %s" % (esc(name), esc(summary))]
    if synopsis:
        out += [".SH SYNOPSIS", ".nf"] + [line_out(esc(s)) for s in synopsis] + [".fi"]
    out.append(".SH DESCRIPTION")
    i, n = 0, len(lines)
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(line_out(inline(" ".join(para))))
            para.clear()
    seen_title = False
    while i < n:
        raw = lines[i].rstrip("\n")
        s = raw.strip()
        if s.startswith(FENCE):
            flush()
            i += 1
            out += [".PP", ".RS 4", ".nf"]
            while i < n and not lines[i].strip().startswith(FENCE):
                out.append(line_out(esc(lines[i].rstrip("\n"))))
                i += 1
            out += [".fi", ".RE"]
        elif s.startswith("# ") and not seen_title:
            flush()
            seen_title = True
        elif s.startswith("## ") or s.startswith("# "):
            flush()
            out.append('.SH "%s"' % inline(s.split(" ", 1)[1]).upper().replace('"', ""))
        elif s.startswith("### "):
            flush()
            out.append('.SS "%s"' % inline(s[4:]).replace('"', ""))
        elif s.startswith("|"):
            flush()
            rows = []
            while i < n and lines[i].strip().startswith("|"):
                rows.append(lines[i])
                i += 1
            table(rows, out)
            continue
        elif re.match(r"^(- |\d+\. )", s):
            flush()
            m = re.match(r"^(- |\d+\. )(.*)", s)
            item = [m.group(2)]
            i += 1
            while i < n and lines[i].startswith("  ") and lines[i].strip() \
                    and not lines[i].strip().startswith(FENCE):
                item.append(lines[i].strip())
                i += 1
            mark = "\\(bu" if m.group(1) == "- " else m.group(1).strip()
            out.append(".IP %s 4" % mark)
            out.append(line_out(inline(" ".join(item))))
            continue
        elif not s:
            flush()
        else:
            para.append(s)
        i += 1
    flush()
    if see_also:
        out += ['.SH "SEE ALSO"', line_out(inline(see_also))]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--section", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--version", default="")
    ap.add_argument("--synopsis", action="append", default=[],
                    help="a line of the SYNOPSIS section (repeatable)")
    ap.add_argument("--see-also", default="", help="the SEE ALSO section")
    ap.add_argument("source")
    ap.add_argument("output")
    a = ap.parse_args()
    with open(a.source, encoding="utf-8") as f:
        lines = f.readlines()
    page = convert(lines, a.name, a.section, a.summary, a.version, a.synopsis,
                   a.see_also)
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
