#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An example promptbench `command` scorer: the share of the reference's words that the
output contains (keyword recall), with a pass at 0.5 or more.

Protocol (docs/SCORERS.md): one JSON request per line on stdin, one JSON reply per line on
stdout, flushed; the process lives for the whole run. Anything printed for people goes to
stderr, never stdout.
"""
import json
import re
import sys

WORD = re.compile(r"\w+", re.UNICODE)


def words(text):
    return {w.casefold() for w in WORD.findall(text)}


def score(request):
    reference = request.get("reference")
    references = reference if isinstance(reference, list) else [reference]
    wanted = set().union(*(words(str(r)) for r in references if r is not None))
    if not wanted:
        return {"score": 0.0, "pass": False, "reason": "no reference words"}
    found = wanted & words(request["output"])
    recall = len(found) / len(wanted)
    missing = sorted(wanted - found)
    return {
        "score": recall,
        "pass": recall >= 0.5,
        "reason": "missing: " + ", ".join(missing[:5]) if missing else "all words found",
    }


def main():
    for line in sys.stdin:
        try:
            reply = score(json.loads(line))
        except Exception as error:  # a reply without "score" is a per-case error in the report
            reply = {"error": str(error)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
