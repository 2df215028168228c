#!/usr/bin/env python3
"""Writes the HTML5 character-reference table that Python's html.unescape uses (docs/tokenizer.md#cleaning),
so the Java tokenizer unescapes exactly as CLIP's basic_clean does. Run from the repository root:
    python3 scripts/gen_html_entities.py
Output format, one entry per line, tab-separated:
    N <name> <hex code points>    named reference (name with or without the trailing ';')
    C <decimal> <hex code points> replacement of an invalid numeric reference (html._invalid_charrefs)
    X <decimal>                   code point dropped by html.unescape (html._invalid_codepoints)
"""
import html
import html.entities

out = "engine/src/main/resources/clip4j/text/html5-entities.tsv"
with open(out, "w", encoding="utf-8", newline="\n") as f:
    for name, value in sorted(html.entities.html5.items()):
        f.write("N\t%s\t%s\n" % (name, " ".join("%x" % ord(c) for c in value)))
    for num, value in sorted(html._invalid_charrefs.items()):
        f.write("C\t%d\t%s\n" % (num, " ".join("%x" % ord(c) for c in value)))
    for num in sorted(html._invalid_codepoints):
        f.write("X\t%d\n" % num)
print("wrote", out)
